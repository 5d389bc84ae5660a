"""Field descriptions of the config models, by dotted key (designer tooltips, docs)."""

from __future__ import annotations

from pydantic import BaseModel

from .models_common import DlqConfig
from .models_extract import EXTRACT_MODELS
from .models_load import LOAD_MODELS
from .models_transform import TransformConfig, TransformOps
from .problems import model_keys, submodels


def _walk(model: type[BaseModel], prefix: str, out: dict[str, str], depth: int = 0) -> None:
    spellings = model_keys(model)
    for key, field_name in spellings.items():
        info = model.model_fields[field_name]
        dotted = f"{prefix}{key}"
        description = info.description or ""
        canonical = next((k for k, f in spellings.items() if f == field_name), key)
        if key != canonical:
            description = f"{description} (another spelling of '{canonical}')".strip()
        out.setdefault(dotted, description)
        if key == canonical and depth < 4:
            for sub in submodels(info.annotation):
                _walk(sub, f"{dotted}.", out, depth + 1)


def field_descriptions(kind: str) -> dict[str, str]:
    """Dotted key -> description for ``kind``.

    ``kind`` is ``extract``, ``transform``, ``load`` (every type merged), ``dlq``, or one type:
    ``extract.file``, ``extract.http``, ``extract.database``, ``extract.cloud_storage``,
    ``load.file``, ``load.database``, ``load.cloud_storage``.
    """
    out: dict[str, str] = {}
    section, _, type_name = kind.partition(".")
    if section == "extract":
        models = [EXTRACT_MODELS[type_name]] if type_name else list(EXTRACT_MODELS.values())
    elif section == "load":
        models = [LOAD_MODELS[type_name]] if type_name else list(LOAD_MODELS.values())
    elif section == "transform":
        models = [TransformConfig]
        _walk(TransformOps, "transform.", out)
    elif section == "dlq":
        models = [DlqConfig]
    else:
        raise ValueError(f"unknown config kind '{kind}'; use extract, transform, load or dlq")
    for model in models:
        _walk(model, "", out)
    return dict(sorted(out.items()))
