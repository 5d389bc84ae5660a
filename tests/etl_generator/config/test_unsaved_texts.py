"""validate_pipeline(texts=...): unsaved YAML is checked in place of its file, in the real folder.

Found by use: the designer checked unsaved texts in a temporary folder of symlinks, so once
relative paths were confined to the pipeline folder every unsaved pipeline showed "path is
outside the pipeline folder" and Preview/Run stayed disabled."""

from __future__ import annotations

from pathlib import Path

from pycharter_gui.etl_generator import validate_pipeline


def _pipeline(folder: Path) -> Path:
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "in.csv").write_text("id,name\n1,Ann\n")
    (folder / "extract.yaml").write_text("type: file\npath: data/in.csv\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    return folder


def test_unsaved_texts_resolve_relative_paths_in_the_pipeline_folder(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path / "p")
    texts = {"extract": "type: file\npath: data/in.csv\nbatch_size: 5\n",
             "transform": "transform:\n  rename:\n    name: full_name\n"}
    assert [p for p in validate_pipeline(folder, texts=texts) if p.severity == "error"] == []


def test_a_problem_of_unsaved_text_names_its_line_and_leaves_the_file_alone(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path / "p")
    before = (folder / "load.yaml").read_text()
    problems = validate_pipeline(folder, texts={"load": "type: file\n\npath: out.jsonl\n"
                                                "format: jsonl\nbatch_size: -3\n"})
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == 1 and errors[0].key.endswith("batch_size") and errors[0].line == 5
    assert Path(errors[0].file).name == "load.yaml"
    assert (folder / "load.yaml").read_text() == before


def test_an_unsaved_file_that_does_not_exist_yet_is_checked(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path / "p")
    (folder / "load.yaml").unlink()
    assert any(p.message == "file not found" for p in validate_pipeline(folder))
    ok = validate_pipeline(folder, texts={"load": "type: file\npath: out.jsonl\nformat: jsonl\n"})
    assert [p for p in ok if p.severity == "error"] == []
