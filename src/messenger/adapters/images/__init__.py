"""Image decoding and re-encoding (the ``Images`` port)."""

from messenger.adapters.images.pillow import PillowImages

__all__ = ["PillowImages"]
