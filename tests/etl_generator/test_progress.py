"""ETLProgress formatting, ProgressTracker rate/ETA/callbacks, TerminalProgress output."""

from __future__ import annotations

import io
import logging

from pycharter_gui.etl_generator.progress import (
    ETLProgress,
    ProgressTracker,
    TerminalProgress,
    format_duration,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_progress(**kw) -> ETLProgress:
    values = dict(stage="load", batch_num=2, total_batches=10, records_processed=2000,
                  records_total=10000, elapsed_seconds=5.0, estimated_remaining_seconds=20.0,
                  memory_usage_mb=120.5, error_count=2, rate_per_second=400.0)
    values.update(kw)
    return ETLProgress(**values)


def test_progress_str_is_one_informative_line():
    text = str(make_progress())
    assert "\n" not in text
    for part in ("[LOAD]", "Batch 2/10", "2,000/10,000 records (20.0%)", "400 rec/s",
                 "5.0s elapsed", "~20.0s left", "120.5 MB", "2 errors"):
        assert part in text
    short = str(make_progress(total_batches=None, records_total=None, memory_usage_mb=None,
                              error_count=0, estimated_remaining_seconds=None, rate_per_second=0))
    assert "Batch 2 |" in short and "2,000 records" in short
    assert "MB" not in short and "error" not in short and "left" not in short


def test_format_duration():
    assert format_duration(4.25) == "4.2s"
    assert format_duration(185) == "3m 05s"
    assert format_duration(7620) == "2h 07m"


def test_tracker_rate_eta_and_stage_counts():
    clock = FakeClock()
    seen: list[ETLProgress] = []
    tracker = ProgressTracker(callback=seen.append, verbose=False, clock=clock)
    tracker.start()
    clock.now += 10
    p = tracker.report("extract", 1, 1000, records_total=4000)
    assert p.elapsed_seconds == 10
    assert p.rate_per_second == 100
    assert p.estimated_remaining_seconds == 30  # 3000 left at 100/s
    tracker.record_batch_time(4.0)
    tracker.record_batch_time(6.0)
    clock.now += 10
    p = tracker.report("extract", 2, 2000, records_total=4000, total_batches=4)
    assert p.estimated_remaining_seconds == 10  # 2 batches left x 5 s average
    tracker.reset_stage()
    clock.now += 4
    p = tracker.report("load", 1, 1000)
    assert p.rate_per_second == 250
    assert p.elapsed_seconds == 24
    assert p.estimated_remaining_seconds is None  # total unknown
    assert p.stage_counts == {"extract": 2000, "load": 1000}
    assert seen[-1] is p and len(seen) == 3


def test_batch_times_keep_the_last_ten():
    tracker = ProgressTracker(verbose=False)
    for i in range(15):
        tracker.record_batch_time(i)
    assert list(tracker.batch_times) == list(range(5, 15))


def test_callback_errors_are_swallowed_and_logged(caplog):
    def broken(_p):
        raise RuntimeError("display went away")

    tracker = ProgressTracker(callback=broken, verbose=False, clock=FakeClock())
    with caplog.at_level(logging.ERROR):
        progress = tracker.report("transform", 1, 10)
    assert progress.records_processed == 10
    assert "display went away" in caplog.text


def test_verbose_logs_instead_of_printing(caplog, capsys):
    tracker = ProgressTracker(verbose=True, clock=FakeClock())
    with caplog.at_level(logging.INFO, logger="pycharter_gui.etl_generator.progress"):
        tracker.report("extract", 1, 5)
    assert "[EXTRACT] Batch 1" in caplog.text
    assert capsys.readouterr().out == ""


def test_terminal_progress_tty_redraws_one_line():
    stream = io.StringIO()
    bar = TerminalProgress(stream, is_tty=True, width=10)
    bar(make_progress(records_processed=5000, records_total=10000))
    bar(make_progress(stage="load", records_processed=10000, records_total=10000,
                      estimated_remaining_seconds=None, error_count=0))
    bar.close()
    out = stream.getvalue()
    assert out.count("\r") == 2 and out.endswith("\n") and out.count("\n") == 1
    first, second = out.split("\r")[1:]
    assert "|█████-----|  50.0%" in first and "5,000/10,000 records" in first
    assert "400 rec/s" in first and "ETA 20.0s" in first and "2 dead letters" in first
    assert "|██████████| 100.0%" in second
    assert len(second.rstrip("\n")) >= len(first)  # padded over the previous line


def test_terminal_progress_plain_lines_are_throttled():
    stream = io.StringIO()
    clock = FakeClock()
    out = TerminalProgress(stream, is_tty=False, min_interval=2.0, clock=clock)
    out(make_progress(records_processed=1000, records_total=None))
    clock.now += 0.5
    out(make_progress(records_processed=2000, records_total=None))  # throttled
    clock.now += 0.5
    out(make_progress(records_processed=3000, records_total=None))  # throttled
    clock.now += 1.5
    out(make_progress(records_processed=4000, records_total=None))  # 2.5 s later: printed
    clock.now += 0.1
    out(make_progress(records_processed=5000, records_total=None))  # throttled, kept
    out.close()  # prints the last state
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and "█" not in stream.getvalue()
    assert [line.split()[1] for line in lines] == ["1,000", "4,000", "5,000"]
    assert lines[0].startswith("[LOAD] 1,000 records | 400 rec/s | 5.0s")


def test_terminal_progress_detects_tty_from_the_stream():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert TerminalProgress(Tty()).is_tty is True
    assert TerminalProgress(io.StringIO()).is_tty is False


async def test_a_run_reports_progress_per_batch_with_memory(tmp_path) -> None:
    from pycharter_gui.etl_generator import create_orchestrator

    (tmp_path / "in.csv").write_text("id\n" + "".join(f"{i}\n" for i in range(25)))
    (tmp_path / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (tmp_path / "transform.yaml").write_text("{}\n")
    (tmp_path / "load.yaml").write_text("path: out.jsonl\nformat: jsonl\n")
    seen: list = []
    result = await create_orchestrator(tmp_path, verbose=False, progress_callback=seen.append).run()
    assert result["success"]
    assert [p.batch_num for p in seen] == [1, 2, 3]
    assert [p.records_processed for p in seen] == [10, 20, 25]
    assert all(p.stage == "load" and p.memory_usage_mb and p.memory_usage_mb > 10 for p in seen)
