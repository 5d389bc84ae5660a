"""The pycharter-gui ETL engine: the public API of INTERFACES.md under ``pycharter_gui.``.

This package never imports Qt; the designer and the CLI use only the names in ``__all__``.
"""

from .checkpoints import CheckpointManager, CheckpointState
from .config import validate_pipeline
from .config_generator import (
    DirectoryContractStore,
    generate_etl_config,
    generate_etl_config_from_contract,
    generate_etl_config_from_store,
    generate_pipeline_files,
)
from .connections import test_connection
from .dead_letter import DeadLetterQueue, DeadLetterRecord, DLQFilter, DLQReason
from .errors import (
    ConfigError,
    ConfigProblem,
    ConfigValidationError,
    FatalSourceError,
    InternalError,
    LoadError,
    NotAvailableError,
    PaginationLoopError,
    PycharterError,
    RecordError,
    RetriableSourceError,
    SourceError,
)
from .extractors import (
    BaseExtractor,
    ExtractorFactory,
    extract_with_pagination_streaming,
    get_extractor,
)
from .loaders import load_to_cloud_storage, load_to_file
from .orchestrator import ETLOrchestrator, create_orchestrator
from .pipeline_factory import PipelineFactory
from .progress import ETLProgress, ProgressTracker
from .transformers import TransformResult, apply_transforms, transform_batch

__all__ = [
    "BaseExtractor",
    "CheckpointManager",
    "CheckpointState",
    "ConfigError",
    "ConfigProblem",
    "ConfigValidationError",
    "DLQFilter",
    "DLQReason",
    "DirectoryContractStore",
    "DeadLetterQueue",
    "DeadLetterRecord",
    "ETLOrchestrator",
    "ETLProgress",
    "ExtractorFactory",
    "FatalSourceError",
    "InternalError",
    "LoadError",
    "NotAvailableError",
    "PaginationLoopError",
    "PipelineFactory",
    "ProgressTracker",
    "PycharterError",
    "RecordError",
    "RetriableSourceError",
    "SourceError",
    "TransformResult",
    "apply_transforms",
    "create_orchestrator",
    "extract_with_pagination_streaming",
    "generate_etl_config",
    "generate_etl_config_from_contract",
    "generate_etl_config_from_store",
    "generate_pipeline_files",
    "get_extractor",
    "load_to_cloud_storage",
    "load_to_file",
    "test_connection",
    "transform_batch",
    "validate_pipeline",
]
