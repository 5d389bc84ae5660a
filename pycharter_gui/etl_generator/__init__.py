"""The pycharter-gui ETL engine: the public API of INTERFACES.md under ``pycharter_gui.``.

This package never imports Qt; the designer and the CLI use only the names in ``__all__``.
Names load lazily on first use (PEP 562), so importing one submodule, e.g. ``errors``, stays
cheap for the designer's start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY: dict[str, str] = {
    "accept_test_output": ".pipeline_tests",
    "apply_transforms": ".transformers",
    "atomic_write": ".atomic",
    "BaseExtractor": ".extractors",
    "CheckpointManager": ".checkpoints",
    "CheckpointState": ".checkpoints",
    "ConfigError": ".errors",
    "ConfigProblem": ".errors",
    "configured_queue": ".dead_letter",
    "ConfigValidationError": ".errors",
    "create_orchestrator": ".orchestrator",
    "DeadLetterQueue": ".dead_letter",
    "DeadLetterRecord": ".dead_letter",
    "DirectoryContractStore": ".config_generator",
    "DLQFilter": ".dead_letter",
    "DLQReason": ".dead_letter",
    "DLQStatus": ".dead_letter",
    "ETLOrchestrator": ".orchestrator",
    "ETLProgress": ".progress",
    "extract_with_pagination_streaming": ".extractors",
    "ExtractorFactory": ".extractors",
    "FatalSourceError": ".errors",
    "field_descriptions": ".config",
    "generate_etl_config": ".config_generator",
    "generate_etl_config_from_contract": ".config_generator",
    "generate_etl_config_from_store": ".config_generator",
    "generate_pipeline_files": ".config_generator",
    "get_extractor": ".extractors",
    "infer_schema": ".schema_inference",
    "InternalError": ".errors",
    "junit_xml": ".pipeline_tests",
    "list_pipeline_tests": ".pipeline_tests",
    "load_pipeline_config": ".config",
    "load_to_cloud_storage": ".loaders",
    "load_to_file": ".loaders",
    "LoadError": ".errors",
    "mark_replay_outcomes": ".replay",
    "mask_params": ".secrets",
    "mask_text": ".secrets",
    "mask_url": ".secrets",
    "normalize_transform": ".config",
    "NotAvailableError": ".errors",
    "open_dead_letter_file": ".dead_letter",
    "PaginationLoopError": ".errors",
    "PipelineFactory": ".pipeline_factory",
    "PipelineTestResult": ".pipeline_tests",
    "ProgressTracker": ".progress",
    "PycharterError": ".errors",
    "RecordError": ".errors",
    "replay_dead_letters": ".replay",
    "resolve_input_params": ".config",
    "RetriableSourceError": ".errors",
    "run_pipeline_tests": ".pipeline_tests",
    "save_pipeline_test": ".pipeline_tests",
    "SourceError": ".errors",
    "test_connection": ".connections",
    "transform_batch": ".transformers",
    "transform_steps": ".transformers.steps",
    "TransformResult": ".transformers",
    "TransientError": ".errors",
    "TransientLoadError": ".errors",
    "validate_pipeline": ".config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

__all__ = [
    "BaseExtractor",
    "CheckpointManager",
    "CheckpointState",
    "ConfigError",
    "ConfigProblem",
    "ConfigValidationError",
    "DLQFilter",
    "DLQReason",
    "DLQStatus",
    "DeadLetterQueue",
    "DeadLetterRecord",
    "DirectoryContractStore",
    "ETLOrchestrator",
    "ETLProgress",
    "ExtractorFactory",
    "FatalSourceError",
    "InternalError",
    "LoadError",
    "NotAvailableError",
    "PaginationLoopError",
    "PipelineFactory",
    "PipelineTestResult",
    "ProgressTracker",
    "PycharterError",
    "RecordError",
    "RetriableSourceError",
    "SourceError",
    "TransformResult",
    "TransientError",
    "TransientLoadError",
    "accept_test_output",
    "apply_transforms",
    "atomic_write",
    "configured_queue",
    "create_orchestrator",
    "extract_with_pagination_streaming",
    "field_descriptions",
    "generate_etl_config",
    "generate_etl_config_from_contract",
    "generate_etl_config_from_store",
    "generate_pipeline_files",
    "get_extractor",
    "infer_schema",
    "junit_xml",
    "list_pipeline_tests",
    "load_pipeline_config",
    "load_to_cloud_storage",
    "load_to_file",
    "mark_replay_outcomes",
    "mask_params",
    "mask_text",
    "mask_url",
    "normalize_transform",
    "open_dead_letter_file",
    "replay_dead_letters",
    "resolve_input_params",
    "run_pipeline_tests",
    "save_pipeline_test",
    "test_connection",
    "transform_batch",
    "transform_steps",
    "validate_pipeline",
]
