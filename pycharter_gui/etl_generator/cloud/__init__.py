"""Object-store clients (S3, GCS, Azure Blob) behind one small interface; see ``base``."""

from .base import (
    CloudClient,
    CloudStorageError,
    ObjectInfo,
    StorageLocation,
    get_client,
    key_selection,
    storage_location,
)

__all__ = ["CloudClient", "CloudStorageError", "ObjectInfo", "StorageLocation", "get_client",
           "key_selection", "storage_location"]
