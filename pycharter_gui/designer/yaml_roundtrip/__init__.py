"""Round-trip YAML editing that keeps comments, key order, quotes and blank lines.

Pure functions, no Qt. A change to an existing one-line scalar is made by replacing just that
value's text on its line, so the rest of the file stays byte-identical; other changes go
through ruamel.yaml dumping with the indentation detected from the file itself.

- ``reading``: parse (with located errors), dump, detect_style, keys and lines.
- ``scalars``: Python values to ruamel types and one-line text, table-cell typing.
- ``line_spans``: the columns of a scalar, flow collection or key on one line.
- ``block_patch``: line-by-line edits of a block collection of one-line rows.
- ``edits``: set_value_text and delete_key_text, built on the three above.
"""

from __future__ import annotations

from pycharter_gui.designer.yaml_roundtrip.edits import delete_key, delete_key_text, set_value_text
from pycharter_gui.designer.yaml_roundtrip.reading import (
    ParseError,
    YamlStyle,
    detect_style,
    dump,
    get_value,
    line_of,
    parse,
    split_key,
    to_plain,
)
from pycharter_gui.designer.yaml_roundtrip.scalars import (
    parse_scalar,
    scalar_display,
    scalar_text,
    to_yaml_value,
)

__all__ = [
    "ParseError", "YamlStyle", "delete_key", "delete_key_text", "detect_style", "dump",
    "get_value", "line_of", "parse", "parse_scalar", "scalar_display", "scalar_text",
    "set_value_text", "split_key", "to_plain", "to_yaml_value",
]
