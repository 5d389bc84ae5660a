"""Relative data paths stay inside the pipeline folder; an absolute path is the explicit way out
(issue 14, paths outside the pipeline)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pycharter_gui.cli import main
from pycharter_gui.etl_generator import ConfigError, load_pipeline_config, validate_pipeline


def _pipeline(root: Path, extract: str = "path: in.csv\n",
              load: str = "type: file\npath: out.jsonl\nformat: jsonl\n") -> Path:
    folder = root / "ws" / "pipe"
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text("id,name\n1,a\n")
    (folder / "extract.yaml").write_text(extract)
    (folder / "transform.yaml").write_text("")
    (folder / "load.yaml").write_text(load)
    return folder


def _problem(folder: Path, file: str, key: str) -> str:
    found = [p for p in validate_pipeline(folder) if p.severity == "error"]
    assert [(Path(p.file or "").name, p.key) for p in found] == [(file, key)], found
    return found[0].message + " " + (found[0].hint or "")


@pytest.mark.parametrize(("file", "key", "extract", "load"), [
    ("extract.yaml", "path", "path: ../../secret.txt\n", None),
    ("load.yaml", "path", None, "type: file\npath: ../escaped.jsonl\n"),
    ("load.yaml", "dead_letter_queue.path", None,
     "type: file\npath: out.jsonl\ndead_letter_queue: {path: ../../dlq.jsonl}\n"),
    ("load.yaml", "database.url", None, "type: database\nurl: sqlite:///../out.db\ntable: t\n"),
    ("extract.yaml", "database.url", "type: database\ndatabase: {path: ../in.db}\ntable: t\n",
     None),
])
def test_relative_path_leaving_the_folder_is_a_validation_error(
        tmp_path: Path, file: str, key: str, extract: str | None, load: str | None) -> None:
    kwargs = {k: v for k, v in (("extract", extract), ("load", load)) if v}
    folder = _pipeline(tmp_path, **kwargs)
    message = _problem(folder, file, key)
    assert "outside the pipeline folder" in message and "absolute path" in message
    with pytest.raises(ConfigError, match="outside the pipeline folder"):
        load_pipeline_config(folder)


def test_preview_of_a_relative_path_to_etc_shadow_refuses(tmp_path: Path, capsys) -> None:
    depth = len(tmp_path.parts) + 1
    folder = _pipeline(tmp_path, extract=f"path: {'../' * depth}etc/shadow\nformat: csv\n")
    assert main(["preview", str(folder)], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "extract.yaml" in err and "path" in err and "outside the pipeline folder" in err


def test_symlink_inside_the_folder_pointing_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "data.csv").write_text("id\n1\n")
    folder = _pipeline(tmp_path, extract="path: data/data.csv\n")
    (folder / "data").symlink_to(outside)
    assert "outside the pipeline folder" in _problem(folder, "extract.yaml", "path")


def test_absolute_paths_and_paths_inside_are_allowed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "in.csv").write_text("id\n1\n")
    folder = _pipeline(
        tmp_path, extract=f"path: {elsewhere / 'in.csv'}\n",
        load=f"type: file\npath: sub/../out/x.jsonl\ndead_letter_queue: "
             f"{{path: {elsewhere / 'dlq.jsonl'}}}\n")
    assert [p for p in validate_pipeline(folder) if p.severity == "error"] == []
    config = load_pipeline_config(folder)
    assert config.extract["path"] == str(elsewhere / "in.csv")
    assert config.load["path"] == str(folder / "out" / "x.jsonl")
    assert config.load["dead_letter_queue"]["path"] == str(elsewhere / "dlq.jsonl")
    out = io.StringIO()
    assert main(["run", str(folder)], out=out) == 0, out.getvalue()
    assert (folder / "out" / "x.jsonl").is_file()


@pytest.mark.parametrize(("file", "yaml"), [
    ("extract.yaml", "type: database\nurl: postgresql://ana:se@cret@127.0.0.1:1/db\nquery: q\n"),
    ("load.yaml", "type: database\ndatabase: {url: 'mysql+pymysql://ana:se@cret@h/db'}\n"
                  "table: t\n"),
])
def test_validate_explains_how_to_encode_an_at_in_a_url_password(
        tmp_path: Path, file: str, yaml: str) -> None:
    """A neighbour of the paths: validate catches what is known without running (issue 14)."""
    folder = _pipeline(tmp_path)
    (folder / file).write_text(yaml)
    out = io.StringIO()
    assert main(["validate", str(folder)], out=out) == 2
    text = out.getvalue()
    assert f"{file}" in text and "database.url" in text and "%40" in text
    assert "urllib.parse.quote(password, safe='')" in text and "separate fields" in text
    assert "cret" not in text
