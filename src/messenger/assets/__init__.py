"""Images the server ships: preset avatars (``avatars/``) and avatar frames (``frames/``).

Plain package data, hand-written SVG, read once per process. The composition root turns
the file names into the domain's ``AvatarCatalog``; the HTTP edge serves the bytes.
A file's name without ``.svg`` is its id, so only names of ``[a-z0-9-]`` are taken.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from types import MappingProxyType

from messenger.domain.model import PRESET_ID_RE, AvatarCatalog, PresetKind

_DIRECTORIES = {PresetKind.AVATAR: "avatars", PresetKind.FRAME: "frames"}


@cache
def bundled_images(kind: PresetKind) -> MappingProxyType[str, bytes]:
    """The SVG bytes of each shipped image of ``kind``, by id."""
    folder = files(__name__).joinpath(_DIRECTORIES[kind])
    images: dict[str, bytes] = {}
    for entry in folder.iterdir():
        preset_id, dot, extension = entry.name.rpartition(".")
        if dot and extension == "svg" and PRESET_ID_RE.match(preset_id) and entry.is_file():
            images[preset_id] = entry.read_bytes()
    return MappingProxyType(dict(sorted(images.items())))


def bundled_catalog() -> AvatarCatalog:
    """The ids of every shipped image, for the domain to check choices against."""
    return AvatarCatalog(
        presets=frozenset(bundled_images(PresetKind.AVATAR)),
        frames=frozenset(bundled_images(PresetKind.FRAME)),
    )


__all__ = ["bundled_catalog", "bundled_images"]
