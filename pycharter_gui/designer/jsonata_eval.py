"""The JSONata console's evaluation: an expression over the sample, its errors in words.

Qt-free: ``jsonata_input`` gives the records the transform's JSONata stage sees,
``evaluate_jsonata`` evaluates an expression on them and turns any error into a sentence with
the character it points at (``jsonata_error_words``). The console runs these on the async loop.
"""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass
from typing import Any

from pycharter_gui.etl_generator import transform_batch

Record = dict[str, Any]


@dataclass
class JsonataOutcome:
    """Result of a live JSONata evaluation: output, or an error in words with its position."""

    output: Any = None
    error: str | None = None
    position: int | None = None  # 0-based character the error points at
    seconds: float = 0.0


def jsonata_input(sample: list[Record], transform_cfg: dict[str, Any]) -> list[Record]:
    """The records the (canonical) transform's JSONata stage sees: ``sample`` after the simple
    ops (rename, convert, filter, ...), its rejected and filtered records left out."""
    return transform_batch(sample, {**transform_cfg, "jsonata": None,
                                    "custom_function": None}).records


_JSONATA_WORDS: tuple[tuple[str, str], ...] = (
    (r"Argument (\d+) of Object (\w+) must be an array of n",
     r"$\2 needs numbers, but argument \1 holds something else (text?): convert the field "
     r"to a number first (a convert step, or $number())"),
    (r"Argument (\d+) of Object (\w+) does not match Object signature",
     r"argument \1 of $\2 is of a type $\2 does not accept (e.g. text where a number is "
     "expected, or a list where one value is)"),
    (r"The (left|right) side of the (\S+) operator must evaluate to a number",
     r"the \1 side of \2 is not a number (a field holding text, or in batch mode a list of "
     "every record's values?)"),
    (r"Attempted to invoke a non-function", "this is not a function JSONata knows"),
    (r"Expected (\S+) before end of expression",
     r"'\1' is missing before the end: a bracket is not closed"),
    (r"Unexpected end of expression", "the expression ends too early"),
    (r"String literal must be terminated by a matching quote", "a quoted text is not closed"),
    (r"could not convert string to float: (.*)", r"\1 is not a number"),
    (r"float division by zero|division by zero", "division by zero"),
)


def jsonata_error_words(exc: BaseException, expression: str) -> tuple[str, int | None]:
    """A JSONata (or Python) evaluation error as a sentence, and the 0-based character it
    points at (an operator the library leaves unplaced is found in the text when unique)."""
    text = str(exc)
    for pattern, words in _JSONATA_WORDS:
        if re.search(pattern, text):
            text = re.sub(pattern, words, text)
            break
    location = getattr(exc, "location", None)
    position = location - 1 if isinstance(location, int) and location > 0 else None
    operator = re.search(r"side of (\S+) is not a number", text)
    if position is None and operator and expression.count(operator.group(1)) == 1:
        position = expression.index(operator.group(1))
    if position is not None:
        position = min(position, max(0, len(expression) - 1))
        name = re.search(r"\$\w+\s*$", expression[:position + 1].rstrip("("))
        if getattr(exc, "error", None) == "T1006" and name:
            text = f"{name.group().strip()} is not a function JSONata knows"
    code = getattr(exc, "error", None)
    return (f"{text[:1].upper()}{text[1:]}" + (f" [{code}]" if code else ""), position)


def evaluate_jsonata(expression: str, sample: list[Record], mode: str = "batch") -> JsonataOutcome:
    """Evaluate ``expression`` against the records (whole list, or the first record)."""
    import jsonata

    started = time.monotonic()
    data: Any = sample if mode == "batch" else (sample[0] if sample else {})
    try:
        output = jsonata.Jsonata(expression).evaluate(copy.deepcopy(data))
    except Exception as exc:  # any evaluation error is shown, never raised
        text, position = jsonata_error_words(exc, expression)
        return JsonataOutcome(error=text, position=position, seconds=time.monotonic() - started)
    return JsonataOutcome(output=output, seconds=time.monotonic() - started)
