"""validate_pipeline: every problem of every file at once, plus warnings."""

from __future__ import annotations

from pycharter_gui.etl_generator.config import validate_pipeline


def test_valid_pipeline_has_no_problems(write_pipeline):
    folder = write_pipeline(extract="type: file\npath: in.csv\n", load="path: out.json\n")
    (folder / "in.csv").write_text("a\n1\n")
    assert validate_pipeline(folder) == []


def test_all_problems_of_all_files(write_pipeline, monkeypatch):
    monkeypatch.delenv("PC_TEST_UNSET", raising=False)
    folder = write_pipeline(
        extract="type: http\nbse_url: https://a\nurl: ${PC_TEST_UNSET}\nbatch_size: -1\n",
        transform="transform:\n  convert: {a: money}\n",
        load="type: database\ntable: t\nurl: sqlite:///x.db\nwrite_method: upsert\n")
    problems = validate_pipeline(folder)
    where = {(p.file.rsplit("/", 1)[-1], p.key): p for p in problems}
    assert where[("extract.yaml", "bse_url")].line == 2
    assert "PC_TEST_UNSET" in where[("extract.yaml", "url")].message
    assert where[("extract.yaml", "url")].line == 3
    assert where[("extract.yaml", "batch_size")].line == 4
    assert where[("transform.yaml", "transform.convert")].line == 2
    assert where[("load.yaml", "primary_key")].severity == "error"
    assert all(p.severity == "error" for p in problems)


def test_missing_input_is_a_warning(write_pipeline):
    folder = write_pipeline(extract="path: data/*.csv\n", load="path: out.json\n")
    (p,) = validate_pipeline(folder)
    assert p.severity == "warning" and p.key == "path" and p.line == 1
    folder = write_pipeline("db", extract="query: select 1\ndatabase:\n  url: sqlite:///a.db\n",
                            load="path: out.json\n")
    (p,) = validate_pipeline(folder)
    assert p.severity == "warning" and "a.db" in p.message


def test_secrets_never_in_problems(write_pipeline, monkeypatch):
    monkeypatch.setenv("PC_DB_PASSWORD", "very-secret-pw")
    folder = write_pipeline(
        extract="type: database\nquery: select 1\nurl: postgresql://u:${PC_DB_PASSWORD}@h/db\n"
                "batch_size: ${PC_DB_PASSWORD}\n",
        load="path: out.json\n")
    problems = validate_pipeline(folder)
    assert problems and all("very-secret-pw" not in str(p) for p in problems)
