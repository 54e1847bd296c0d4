"""File storage on the local disk."""

from messenger.adapters.files.local import LocalFileStore

__all__ = ["LocalFileStore"]
