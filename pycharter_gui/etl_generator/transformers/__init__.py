"""Transforms: simple ops, ``add`` expressions, JSONata, custom functions, contract checks.

``transform_batch`` returns a ``TransformResult`` (kept records, rejected records for the
dead-letter queue, warnings, counts); ``apply_transforms`` is the seed's thin wrapper returning
only the records. Compile once per run with ``compile_transform`` when applying many batches.
"""

from __future__ import annotations

from ..config.checks import register_check
from .apply import CompiledTransform, apply_transforms, compile_transform, transform_batch
from .contract import ContractValidator
from .expressions import compile_expression, evaluate_expression
from .jsonata_stage import JsonataStage
from .results import RejectedRecord, TransformResult, TransformWarning
from .simple_ops import compile_add

# What config's validation compiles (config/checks.py): config never imports transformers.
register_check("add", compile_add)
register_check("jsonata", JsonataStage)
register_check("contract", ContractValidator)

__all__ = [
    "CompiledTransform",
    "ContractValidator",
    "RejectedRecord",
    "TransformResult",
    "TransformWarning",
    "apply_transforms",
    "compile_expression",
    "compile_transform",
    "evaluate_expression",
    "transform_batch",
]
