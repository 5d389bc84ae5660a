"""${VAR} substitution, typing of substituted values, secrets and masking."""

from __future__ import annotations

import pytest

from pycharter_gui.etl_generator.config import (
    load_pipeline_config,
    mask_secrets,
    substitute,
)
from pycharter_gui.etl_generator.errors import ConfigError

LOAD = "type: file\npath: out.json\n"


def test_forms_and_lookup_order(monkeypatch):
    monkeypatch.setenv("HOST", "env-host")
    monkeypatch.delenv("MISSING_VAR", raising=False)
    ctx = {"HOST": "ctx-host", "PORT": 5432}
    assert substitute("${HOST}:${PORT}", ctx) == "ctx-host:5432"
    assert substitute("${HOST}", {}) == "env-host"
    assert substitute("${MISSING_VAR:-fallback}", {}) == "fallback"
    assert substitute("$${HOST}", ctx) == "${HOST}"
    assert substitute({"a": ["${PORT}"]}, ctx) == {"a": [5432]}


def test_whole_value_is_typed_like_yaml():
    assert substitute("${N:-100}", {}) == 100
    assert substitute("${F:-1.5}", {}) == 1.5
    assert substitute("${B:-true}", {}) is True
    assert substitute("${S:-abc}", {}) == "abc"
    assert substitute("n=${N:-100}", {}) == "n=100"


def test_unresolved_and_required_message(monkeypatch):
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(ConfigError) as err:
        substitute({"url": "${NOPE}"}, {})
    assert "NOPE" in str(err.value) and err.value.problems[0].key == "url"
    with pytest.raises(ConfigError, match="set the API host"):
        substitute("${NOPE:?set the API host}", {})


def test_only_context_leaves_other_references(monkeypatch):
    monkeypatch.setenv("USER", "root")
    value = "${first} ${USER} ${nick:-anon} ${REGION}"
    assert substitute(value, {"REGION": "eu"}, only_context=True) == (
        "${first} ${USER} ${nick:-anon} eu")


def test_extract_typing_and_unresolved_location(tmp_path, write_pipeline, monkeypatch):
    monkeypatch.delenv("API_HOST", raising=False)
    folder = write_pipeline(
        extract="type: http\nurl: https://x/items\nbatch_size: ${BATCH:-250}\n"
                "params:\n  limit: ${N:-100}\n  host: ${API_HOST}\n",
        load=LOAD)
    with pytest.raises(ConfigError) as err:
        load_pipeline_config(folder)
    (problem,) = err.value.problems
    assert problem.key == "params.host" and problem.line == 6
    assert "API_HOST" in problem.message and problem.file.endswith("extract.yaml")
    cfg = load_pipeline_config(folder, config_context={"API_HOST": "h"})
    assert cfg.extract["batch_size"] == 250
    assert cfg.extract["params"] == {"limit": 100, "host": "h"}


def test_transform_substitutes_only_context(write_pipeline, monkeypatch):
    monkeypatch.setenv("USER", "root")
    folder = write_pipeline(
        extract="type: file\npath: in.csv\n",
        transform="add:\n  who: '${USER}'\n  nick: '${nick:-anon}'\n  env: '${STAGE}'\n",
        load=LOAD)
    cfg = load_pipeline_config(folder, config_context={"STAGE": "prod"})
    (op,) = cfg.transform["ops"]
    assert op == {"op": "add", "spec": {"who": "${USER}", "nick": "${nick:-anon}",
                                        "env": "prod"}}


def test_secrets_collected_and_masked(write_pipeline, monkeypatch):
    monkeypatch.setenv("API_TOKEN", "tok-123456")
    monkeypatch.setenv("DB_PW", "pw-987")
    folder = write_pipeline(
        extract="type: http\nurl: https://x/items\nheaders:\n"
                "  Authorization: Bearer ${API_TOKEN}\n",
        load="type: postgres\ntable: t\nconnection_string: postgresql://u:${DB_PW}@h/db\n"
             "dead_letter_queue:\n  enabled: false\n")
    cfg = load_pipeline_config(folder)
    assert {"tok-123456", "pw-987"} <= cfg.secrets
    assert "tok-123456" not in repr(cfg) and "pw-987" not in repr(cfg)
    text = f"GET failed: {cfg.extract['headers']} {cfg.load['url']}"
    masked = cfg.mask(text)
    assert "tok-123456" not in masked and "pw-987" not in masked and "***" in masked


def test_literal_password_in_url_and_secret_keys_are_secrets(write_pipeline):
    folder = write_pipeline(
        extract="type: http\nurl: https://x/i\nauth:\n  type: basic\n  username: u\n"
                "  password: literal-pass\n",
        load="type: database\ntable: t\ndatabase:\n  url: mysql://me:hunter22@db/x\n")
    cfg = load_pipeline_config(folder)
    assert {"literal-pass", "hunter22"} <= cfg.secrets
    assert "u" not in cfg.secrets


def test_a_word_like_secret_is_masked_as_a_token_not_inside_other_words():
    text = "Cannot connect to postgresql+psycopg://postgres:postgres@h/db as postgres"
    assert mask_secrets(text, ["postgres"]) == \
        "Cannot connect to postgresql+psycopg://***:***@h/db as ***"
    assert mask_secrets("key=s3cr3t&x=1", ["s3cr3t"]) == "key=***&x=1"


def test_mask_secrets_handles_url_encoding():
    assert mask_secrets("p@ss and p%40ss", ["p@ss"]) == "*** and ***"
    assert mask_secrets("nothing", []) == "nothing"


def test_secret_and_leading_zero_values_stay_text(write_pipeline, monkeypatch):
    monkeypatch.setenv("PC_API_PASSWORD", "12345")
    monkeypatch.setenv("PC_ZIP", "01234")
    folder = write_pipeline(
        extract="url: https://a/x\nparams:\n  zip: ${PC_ZIP}\nauth:\n  type: basic\n"
                "  username: 42\n  password: ${PC_API_PASSWORD}\n",
        load="path: out.json\n")
    cfg = load_pipeline_config(folder)
    assert cfg.extract["params"]["zip"] == "01234"
    assert cfg.extract["auth"]["password"] == "12345" and cfg.extract["auth"]["username"] == "42"
    assert "12345" in cfg.secrets
