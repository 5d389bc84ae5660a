"""Generate docs/api.md (public API) and docs/config-reference.md (every config key).

Both come from the code (docstrings, pydantic field descriptions), so they cannot drift:
a test regenerates them and compares. Usage: python scripts/gen_api_docs.py [--stdout]
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pycharter_gui.etl_generator as engine  # noqa: E402


def _summary(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def api_markdown() -> str:
    lines = [
        "# API reference",
        "",
        "Generated from docstrings by `scripts/gen_api_docs.py`; do not edit by hand.",
        "Everything below is importable from `pycharter_gui.etl_generator`.",
        "",
    ]
    for name in sorted(engine.__all__, key=str.lower):
        obj = getattr(engine, name)
        if inspect.isclass(obj):
            kind = "exception" if issubclass(obj, BaseException) else "class"
            lines += [f"## `{name}` ({kind})", "", _summary(obj) or "(no docstring)", ""]
            if kind == "class":
                lines += [f"`{name}{_signature(obj)}`", ""]
                for meth_name, meth in sorted(vars(obj).items()):
                    if meth_name.startswith("_") or not callable(meth):
                        continue
                    lines.append(f"- `{meth_name}{_signature(meth)}` — {_summary(meth)}")
                lines.append("")
        else:
            lines += [f"## `{name}`", "", f"`{name}{_signature(obj)}`", "", _summary(obj), ""]
    return "\n".join(lines).rstrip() + "\n"


def config_markdown() -> str:
    """Every accepted config key with its description, from the pydantic models."""
    from pycharter_gui.etl_generator.config import field_descriptions

    lines = [
        "# Config reference",
        "",
        "Generated from the typed config models by `scripts/gen_api_docs.py`; do not edit by hand.",
        "Every key below is accepted; other spellings are listed as such. Unknown keys are errors",
        "with a did-you-mean hint.",
        "",
    ]
    kinds = [("extract.yaml", ("extract.file", "extract.database", "extract.http", "extract.cloud_storage")),
             ("transform.yaml", ("transform",)),
             ("load.yaml", ("load.file", "load.database", "load.cloud_storage")),
             ("dead_letter_queue (in load.yaml)", ("dlq",))]
    for title, parts in kinds:
        lines += [f"## {title}", ""]
        for kind in parts:
            if len(parts) > 1:
                lines += [f"### {kind.split('.', 1)[1]}", ""]
            lines += ["| key | meaning |", "|---|---|"]
            for key, text in sorted(field_descriptions(kind).items()):
                lines.append(f"| `{key}` | {text.replace('|', '/')} |")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    if "--stdout" in sys.argv:
        sys.stdout.write(api_markdown())
        return
    if "--config-stdout" in sys.argv:
        sys.stdout.write(config_markdown())
        return
    (ROOT / "docs" / "api.md").write_text(api_markdown())
    (ROOT / "docs" / "config-reference.md").write_text(config_markdown())


if __name__ == "__main__":
    main()
