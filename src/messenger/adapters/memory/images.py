"""A fake ``Images`` port for domain tests: "images" are a short text header, no pixels.

``fake_image(640, 480)`` makes one; anything else is not an image. What it "encodes"
names the size it was asked for, so tests can tell which is which.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from messenger.domain.errors import ImageTooLarge, UnsupportedImage
from messenger.domain.model import EncodedImage, ImageInfo

_HEADER = re.compile(rb"^FAKEIMG (\d{1,6})x(\d{1,6})\n")


def fake_image(width: int, height: int, body: bytes = b"") -> bytes:
    """The bytes of a fake image of this size (``body`` pads it)."""
    return f"FAKEIMG {width}x{height}\n".encode() + body


class FakeImages:
    """Reads ``fake_image`` headers; counts what it was asked to make."""

    def __init__(self) -> None:
        self.made: list[str] = []

    def _read(self, data: bytes, max_pixels: int) -> ImageInfo:
        found = _HEADER.match(data)
        if found is None:
            raise UnsupportedImage()
        width, height = int(found.group(1)), int(found.group(2))
        if width * height > max_pixels:
            raise ImageTooLarge()
        return ImageInfo(format="FAKE", width=width, height=height)

    async def probe(self, head: bytes, max_pixels: int) -> ImageInfo | None:
        try:
            return self._read(head, max_pixels)
        except UnsupportedImage:
            return None

    async def avatar(
        self, data: bytes, sizes: Sequence[int], max_pixels: int
    ) -> list[EncodedImage]:
        self._read(data, max_pixels)
        self.made.append("avatar")
        return [_encoded(size, size) for size in sizes]

    async def thumbnail(
        self, data: bytes, box: int, max_pixels: int
    ) -> tuple[ImageInfo, EncodedImage]:
        info = self._read(data, max_pixels)
        self.made.append("thumbnail")
        scale = min(1.0, box / max(info.width, info.height))
        return info, _encoded(max(1, round(info.width * scale)), max(1, round(info.height * scale)))


def _encoded(width: int, height: int) -> EncodedImage:
    return EncodedImage(
        data=fake_image(width, height, b"encoded"),
        content_type="image/webp",
        extension="webp",
        width=width,
        height=height,
    )
