"""``pycharter-etl``: run, preview, validate, list and test pipelines without the designer.

Exit codes: 0 ok, 1 run failed (or dead letters with ``--fail-on-dead-letters``),
2 bad config or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from .cli_format import format_problems, format_summary, format_table, json_summary
from .process import configure_process

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2
TRUST_HELP = "run custom Python code even when the workspace is not marked trusted"


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"--param expects key=value, got '{pair}'")
        params[key.strip()] = value
    return params


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pycharter-etl", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log engine details")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a pipeline folder")
    run.add_argument("dir", type=Path)
    run.add_argument("--dry-run", action="store_true", help="extract and transform, write nothing")
    run.add_argument("--param", action="append", default=[], metavar="K=V", help="input parameter")
    run.add_argument("--batch-size", type=int)
    run.add_argument("--max-records", type=int)
    run.add_argument("--checkpoint-dir", type=Path, help="resume a killed run from here")
    run.add_argument("--no-resume", action="store_true", help="ignore an existing checkpoint")
    run.add_argument("--fail-on-dead-letters", action="store_true", help="exit 1 on dead letters")
    run.add_argument("--error-threshold", type=float, default=0.1, metavar="SHARE",
                     help="stop when more than this share of batches fails as a whole (0.1)")
    run.add_argument("--json", action="store_true", help="print the run summary as JSON")
    run.add_argument("--dask", nargs="?", const="local", metavar="ADDRESS",
                     help="run partitioned on Dask (a local cluster, or the scheduler at ADDRESS)")
    run.add_argument("--partitions", type=int, help="number of partitions for --dask")
    run.add_argument("--trust", action="store_true", help=TRUST_HELP)

    preview = sub.add_parser("preview", help="print the first records after transforms")
    preview.add_argument("dir", type=Path)
    preview.add_argument("--limit", type=int, default=20)
    preview.add_argument("--raw", action="store_true", help="show records before transforms")
    preview.add_argument("--param", action="append", default=[], metavar="K=V")
    preview.add_argument("--trust", action="store_true", help=TRUST_HELP)

    validate = sub.add_parser("validate", help="report every config problem at once")
    validate.add_argument("dir", type=Path)

    listing = sub.add_parser("list", help="list the pipelines under a folder")
    listing.add_argument("root", type=Path)

    tests = sub.add_parser("test", help="run the saved tests of a pipeline (or of every pipeline "
                                        "under a folder): 0 all pass, 1 a failure")
    tests.add_argument("dir", type=Path)
    tests.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    tests.add_argument("--accept", action="store_true", help="accept the new output as expected")
    tests.add_argument("--trust", action="store_true", help=TRUST_HELP)
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of ``pycharter-etl``; returns the exit code."""
    out = out or sys.stdout
    configure_process()
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors already
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    from .etl_generator import ConfigError, PycharterError

    try:
        return _COMMANDS[args.command](args, out)
    except argparse.ArgumentTypeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    except PycharterError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Cancelled.", file=sys.stderr)
        return 130
    except Exception as exc:  # the CLI boundary: never a bare traceback for the analyst
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        print(f"internal error: {type(exc).__name__}: {exc} (please report this)", file=sys.stderr)
        return EXIT_FAILED


def _check_dir(path: Path) -> None:
    from .etl_generator import ConfigError

    if not path.is_dir():
        raise ConfigError(f"Pipeline folder not found: {path}")


def _require_trust(folder: Path, transform: dict[str, Any], trusted: bool) -> None:
    """Custom Python code runs only with ``--trust`` or in a workspace marked trusted."""
    from .etl_generator import is_workspace_trusted
    from .etl_generator.trust import custom_function_name, untrusted_message

    function = custom_function_name(transform)
    if function and not trusted and not is_workspace_trusted(folder):
        raise argparse.ArgumentTypeError(untrusted_message(folder, function))


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    from .etl_generator import ETLOrchestrator
    from .etl_generator.progress import TerminalProgress

    _check_dir(args.dir)
    params = _parse_params(args.param)
    progress = TerminalProgress(stream=sys.stderr)
    orch = ETLOrchestrator(
        contract_dir=args.dir,
        checkpoint_dir=args.checkpoint_dir,
        progress_callback=progress,
        verbose=args.verbose,
    )
    _require_trust(args.dir, orch.config.transform, args.trust)
    try:
        result = asyncio.run(orch.run(
            dry_run=args.dry_run,
            batch_size=args.batch_size,
            max_records=args.max_records,
            resume=not args.no_resume,
            error_threshold=args.error_threshold,
            executor="dask" if args.dask else None,
            scheduler_address=None if args.dask in (None, "local") else args.dask,
            partitions=args.partitions,
            **params,
        ))
    finally:
        progress.close()
    if args.json:
        print(json.dumps(json_summary(result), indent=2, default=str), file=out)
    else:
        print(format_summary(result), file=out)
    if not result["success"]:
        return EXIT_FAILED
    if args.fail_on_dead_letters and result["dead_lettered"]:
        return EXIT_FAILED
    return EXIT_OK


async def _first_records(orch: Any, limit: int, raw: bool, params: dict[str, Any]) -> list[dict[str, Any]]:
    from .etl_generator import transform_batch

    rows: list[dict[str, Any]] = []
    # Transforms may filter records: keep reading until ``limit`` survive (or the source ends).
    async for batch in orch.extract_stream(batch_size=min(max(limit, 10), 1000),
                                           max_records=limit if raw else None, **params):
        rows.extend(batch if raw else transform_batch(batch, orch.config.transform, **params).records)
        if len(rows) >= limit:
            break
    return rows[:limit]


def _cmd_preview(args: argparse.Namespace, out: TextIO) -> int:
    from .etl_generator import ETLOrchestrator

    _check_dir(args.dir)
    orch = ETLOrchestrator(contract_dir=args.dir, verbose=False)
    if not args.raw:
        _require_trust(args.dir, orch.config.transform, args.trust)
    rows = asyncio.run(_first_records(orch, args.limit, args.raw, _parse_params(args.param)))
    print(format_table(rows), file=out)
    print(f"({len(rows)} record{'s' if len(rows) != 1 else ''}"
          f"{', before transforms' if args.raw else ''})", file=out)
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from .etl_generator import validate_pipeline

    _check_dir(args.dir)
    problems = validate_pipeline(args.dir)
    errors = [p for p in problems if p.severity == "error"]
    if problems:
        print(format_problems(problems), file=out)
    if errors:
        return EXIT_CONFIG
    print(f"{args.dir}: configuration is valid", file=out)
    return EXIT_OK


def _cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    from .etl_generator import ConfigError, PipelineFactory

    if not args.root.is_dir():
        raise ConfigError(f"Folder not found: {args.root}")
    factory = PipelineFactory(args.root)
    names = factory.get_pipeline_names()
    for name in names:
        print(f"{name}\t{factory.get_contract_dir(name)}", file=out)
    for name, missing in sorted(factory.incomplete_pipelines().items()):
        print(f"{name}\t(incomplete: missing {', '.join(missing)})", file=out)
    for name, dirs in sorted(factory.collisions().items()):
        print(f"warning: pipeline name '{name}' is used by {len(dirs)} folders: "
              + ", ".join(str(d) for d in dirs), file=sys.stderr)
    if not names:
        print(f"No pipelines found under {args.root}", file=out)
    return EXIT_OK


def _cmd_test(args: argparse.Namespace, out: TextIO) -> int:
    from .etl_generator import (
        PipelineFactory,
        accept_test_output,
        junit_xml,
        list_pipeline_tests,
        load_pipeline_config,
        run_pipeline_tests,
    )

    _check_dir(args.dir)
    factory = PipelineFactory(args.dir)
    dirs = [args.dir] if (args.dir / "extract.yaml").is_file() else [
        Path(factory.get_contract_dir(n)) for n in factory.get_pipeline_names()]
    for folder in dirs:
        if list_pipeline_tests(folder):
            _require_trust(folder, load_pipeline_config(folder).transform, args.trust)
    results = [r for d in dirs for r in asyncio.run(run_pipeline_tests(d))]
    for res in results:
        accepted = args.accept and res.status == "failed"
        if accepted:
            accept_test_output(res)
        print(f"{'ACCEPTED' if accepted else res.status.upper()}  {res.case.pipeline_dir.name}/"
              f"{res.name}  {res.message}".rstrip(), file=out)
        for diff in res.differences[:50]:
            print(f"    {diff.describe()}", file=out)
    print(f"{sum(r.passed for r in results)} of {len(results)} tests passed", file=out)
    if args.junit:
        args.junit.write_text(junit_xml(results), encoding="utf-8")
    ok = all(r.status in ("passed", "skipped") or (args.accept and r.status == "failed")
             for r in results)
    return EXIT_OK if ok else EXIT_FAILED


_COMMANDS = {"run": _cmd_run, "preview": _cmd_preview, "validate": _cmd_validate, "list": _cmd_list,
             "test": _cmd_test}

if __name__ == "__main__":
    raise SystemExit(main())
