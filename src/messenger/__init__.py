"""Messenger: a self-hosted company messenger backend.

``messenger.in_memory()`` gives the whole domain on in-memory adapters for embedding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from messenger.embedded import in_memory

__all__ = ["in_memory"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``import messenger.domain`` pulls in no adapter.
    if name == "in_memory":
        from messenger.embedded import in_memory

        return in_memory
    raise AttributeError(name)
