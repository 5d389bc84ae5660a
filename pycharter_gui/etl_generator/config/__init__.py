"""Pipeline configuration: typed models, YAML loading with line numbers, ``${VAR}``
substitution, input parameters, and normalisation to the canonical dicts of
docs/architecture.md that every other engine component reads.
"""

from .describe import field_descriptions
from .extract import normalize_extract
from .load import normalize_load
from .loading import PipelineConfig, load_pipeline_config, validate_pipeline
from .models_common import CsvOptions, DlqConfig, InputParam, JsonOptions, StorageConfig
from .models_extract import (
    CloudStorageExtractConfig,
    DatabaseExtractConfig,
    ExtractConfig,
    FileExtractConfig,
    HttpExtractConfig,
    PaginationConfig,
)
from .models_load import (
    CloudStorageLoadConfig,
    DatabaseLoadConfig,
    FileLoadConfig,
    LoadConfig,
    detect_destination_type,
)
from .models_transform import TransformConfig, TransformOps
from .params import resolve_input_params
from .substitution import mask_secrets, substitute
from .transform import normalize_transform

__all__ = [
    "CloudStorageExtractConfig",
    "CloudStorageLoadConfig",
    "CsvOptions",
    "DatabaseExtractConfig",
    "DatabaseLoadConfig",
    "DlqConfig",
    "ExtractConfig",
    "FileExtractConfig",
    "FileLoadConfig",
    "HttpExtractConfig",
    "InputParam",
    "JsonOptions",
    "LoadConfig",
    "PaginationConfig",
    "PipelineConfig",
    "StorageConfig",
    "TransformConfig",
    "TransformOps",
    "detect_destination_type",
    "field_descriptions",
    "load_pipeline_config",
    "mask_secrets",
    "normalize_extract",
    "normalize_load",
    "normalize_transform",
    "resolve_input_params",
    "substitute",
    "validate_pipeline",
]
