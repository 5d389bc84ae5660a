"""The headless CLI: exit codes, summaries, previews, validation and discovery."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from pycharter_gui.cli import main
from pycharter_gui.paths import resource_path


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out=out)
    return code, out.getvalue()


def test_run_prints_summary_with_dead_letters_by_reason(example) -> None:
    code, out = _cli("run", str(example("orders_to_sqlite")))
    assert code == 0
    assert "orders_to_sqlite: COMPLETED with 3 dead letter(s)" in out
    assert "dead-lettered 3" in out
    assert "validation_error: 2" in out


def test_fail_on_dead_letters_exits_1(example) -> None:
    code, _ = _cli("run", str(example("orders_to_sqlite")), "--dry-run", "--fail-on-dead-letters")
    assert code == 1


def test_dry_run_json_and_max_records(example) -> None:
    folder = example("customers_json_to_jsonl")
    code, out = _cli("run", str(folder), "--dry-run", "--json", "--max-records", "5")
    assert code == 0
    summary = json.loads(out)
    assert summary["dry_run"] is True
    assert summary["extraction"]["total_records"] == 5
    assert not (folder / "output").exists()


def test_failed_run_exits_1(write_pipeline, tmp_path) -> None:
    folder = write_pipeline(extract="path: missing.csv\n", load=f"path: {tmp_path}/o.json\n", transform="")
    code, out = _cli("run", str(folder))
    assert code == 1
    assert "missing.csv" in out


def test_bad_config_exits_2_and_names_file_and_key(write_pipeline, capsys) -> None:
    folder = write_pipeline(extract="path: a.csv\nformat: xlsx2\n", load="path: o.json\n", transform="")
    code, _ = _cli("run", str(folder))
    assert code == 2
    err = capsys.readouterr().err
    assert "extract.yaml" in err and "format" in err


def test_usage_error_exits_2(capsys) -> None:
    assert _cli("run")[0] == 2
    assert _cli("run", "/no/such/folder")[0] == 2


def test_param_must_be_key_value(example, capsys) -> None:
    code, _ = _cli("run", str(example("orders_to_sqlite")), "--param", "oops")
    assert code == 2
    assert "key=value" in capsys.readouterr().err


def test_preview_prints_transformed_table(example) -> None:
    code, out = _cli("preview", str(example("orders_to_sqlite")), "--limit", "4")
    assert code == 0
    header = out.splitlines()[0]
    assert "order_id" in header and "OrderID" not in header
    assert "(4 records)" in out


def test_validate_reports_every_problem_with_line(write_pipeline) -> None:
    folder = write_pipeline(
        extract="path: a.csv\nbatch_sise: 3\n",
        load="path: o.json\nwrite_mode: sideways\n",
        transform="transform:\n  renam: {a: b}\n",
    )
    code, out = _cli("validate", str(folder))
    assert code == 2
    assert "extract.yaml:2" in out and "batch_sise" in out
    assert "load.yaml" in out and "write_mode" in out
    assert "transform.yaml" in out and "renam" in out


def test_validate_ok(example) -> None:
    code, out = _cli("validate", str(example("orders_to_sqlite")))
    assert code == 0
    assert "valid" in out


def test_list_shows_pipelines_and_incomplete_folders(tmp_path) -> None:
    shutil.copytree(resource_path("examples"), tmp_path / "ws")
    (tmp_path / "ws" / "half").mkdir()
    (tmp_path / "ws" / "half" / "extract.yaml").write_text("path: x.csv\n")
    code, out = _cli("list", str(tmp_path / "ws"))
    assert code == 0
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert names[:3] == ["customers_json_to_jsonl", "orders_to_sqlite", "sales_custom_to_parquet"]
    assert "half\t(incomplete: missing transform.yaml, load.yaml)" in out


def test_console_script_is_installed(tmp_path) -> None:
    exe = Path(sys.executable).with_name("pycharter-etl")
    proc = subprocess.run([str(exe), "list", str(resource_path("examples"))],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "orders_to_sqlite" in proc.stdout


def test_summary_shows_partitions_and_notes_of_a_distributed_run(example) -> None:
    import asyncio

    from pycharter_gui.cli_format import format_summary
    from pycharter_gui.etl_generator import create_orchestrator

    result = asyncio.run(create_orchestrator(example("orders_to_sqlite"), verbose=False)
                         .run(dry_run=True))
    # what run_distributed adds to the same summary
    result.update(partitions=[{"id": 0}, {"id": 1}],
                  warnings=["the source cannot be split: it runs as one partition"])
    text = format_summary(result)
    assert "partitions: 2" in text
    assert "note: the source cannot be split: it runs as one partition" in text
