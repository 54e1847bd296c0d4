"""The ``Images`` port on Pillow.

Formats are told by their bytes (Pillow's own detection, limited to the four accepted),
never by a name or a declared type. Sizes are checked from the header, before a pixel is
decoded: a small file may claim a huge canvas (a decompression bomb), and decoding costs
memory by the pixel.

Everything is written as WebP: a third smaller than JPEG at the same quality, with an
alpha channel (transparent PNG avatars stay transparent) that JPEG lacks, far smaller than
PNG for photos, and drawn by every browser and Electron the client runs in. Output images
are built from the bare pixels, so no EXIF (GPS, camera), XMP, comment or colour profile
of the upload survives; the EXIF orientation is applied first, so nothing shows sideways.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

from PIL import Image, ImageOps, UnidentifiedImageError

from messenger.domain.errors import ImageTooLarge, UnsupportedImage
from messenger.domain.model import EncodedImage, ImageInfo

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_CONTENT_TYPE = "image/webp"
_EXTENSION = "webp"
# What Pillow raises for bytes that are not what their header promised (truncated, corrupt)
# besides UnidentifiedImageError.
_BROKEN = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError)


class PillowImages:
    """Decodes at most ``concurrency`` images at a time, each in a worker thread: decoding
    is CPU work that would stall the event loop, and each decode may take the memory of
    ``max_pixels`` pixels."""

    def __init__(self, *, quality: int = 85, concurrency: int = 2) -> None:
        self._quality = quality
        self._slots = asyncio.Semaphore(concurrency)

    async def probe(self, head: bytes, max_pixels: int) -> ImageInfo | None:
        return await asyncio.to_thread(_probe, head, max_pixels)

    async def avatar(
        self, data: bytes, sizes: Sequence[int], max_pixels: int
    ) -> list[EncodedImage]:
        async with self._slots:
            return await asyncio.to_thread(_avatar, data, tuple(sizes), max_pixels, self._quality)

    async def thumbnail(
        self, data: bytes, box: int, max_pixels: int
    ) -> tuple[ImageInfo, EncodedImage]:
        async with self._slots:
            return await asyncio.to_thread(_thumbnail, data, box, max_pixels, self._quality)


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge() from exc
    except _BROKEN as exc:
        raise UnsupportedImage() from exc


def _info(image: Image.Image) -> ImageInfo:
    return ImageInfo(format=str(image.format), width=image.width, height=image.height)


def _probe(head: bytes, max_pixels: int) -> ImageInfo | None:
    try:
        with _open(head) as image:
            info = _info(image)
    except UnsupportedImage:
        return None
    if info.width < 1 or info.height < 1 or info.width * info.height > max_pixels:
        return None
    return info


def _decoded(data: bytes, max_pixels: int) -> tuple[ImageInfo, Image.Image]:
    """The first frame's pixels, upright, in RGB or RGBA, with nothing of the file's
    metadata; refused before decoding if the header promises more than ``max_pixels``."""
    with _open(data) as image:
        info = _info(image)
        if info.width * info.height > max_pixels:
            raise ImageTooLarge(f"The image has more than {max_pixels} pixels.")
        try:
            image.seek(0)  # an animation's first frame
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                upright.mode == "P" and "transparency" in upright.info
            )
            pixels = upright.convert("RGBA" if has_alpha else "RGB")
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge() from exc
        except _BROKEN as exc:
            raise UnsupportedImage() from exc
    # A new image from the bare pixels: no info dictionary (EXIF, ICC, XMP) comes along.
    bare = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    # The size as shown: a turned photo's width is its stored height.
    return ImageInfo(format=info.format, width=bare.width, height=bare.height), bare


def _encode(image: Image.Image, quality: int) -> EncodedImage:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=4)
    return EncodedImage(
        data=out.getvalue(),
        content_type=_CONTENT_TYPE,
        extension=_EXTENSION,
        width=image.width,
        height=image.height,
    )


def _avatar(
    data: bytes, sizes: tuple[int, ...], max_pixels: int, quality: int
) -> list[EncodedImage]:
    _, image = _decoded(data, max_pixels)
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return [
        _encode(square.resize((size, size), Image.Resampling.LANCZOS), quality) for size in sizes
    ]


def _thumbnail(
    data: bytes, box: int, max_pixels: int, quality: int
) -> tuple[ImageInfo, EncodedImage]:
    info, image = _decoded(data, max_pixels)
    # Fits in the box, keeps its proportions, never grows.
    image.thumbnail((box, box), Image.Resampling.LANCZOS)
    return info, _encode(image, quality)
