"""Real, tiny images made in the tests with Pillow (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import zlib

from PIL import Image

# EXIF tags: the GPS block, and in it latitude and longitude.
GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE = 1, 2
GPS_LONGITUDE_REF, GPS_LONGITUDE = 3, 4


def picture(
    width: int, height: int, fmt: str = "PNG", colour: tuple[int, ...] = (200, 30, 30)
) -> bytes:
    """A one-colour image of this size in ``fmt`` (PNG, JPEG, WEBP, GIF)."""
    mode = "RGBA" if len(colour) == 4 else "RGB"
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, fmt)
    return out.getvalue()


def halves(width: int, height: int) -> bytes:
    """A PNG whose left half is red and right half blue (a centre crop keeps both)."""
    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(width: int = 64, height: int = 48) -> bytes:
    """A JPEG carrying EXIF GPS coordinates, a camera model and a comment."""
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera"  # Model
    gps = exif.get_ifd(GPS_IFD)
    gps[GPS_LATITUDE_REF] = "N"
    gps[GPS_LATITUDE] = (55.0, 45.0, 0.0)
    gps[GPS_LONGITUDE_REF] = "E"
    gps[GPS_LONGITUDE] = (37.0, 37.0, 0.0)
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(
        out, "JPEG", exif=exif, comment=b"taken at home"
    )
    return out.getvalue()


def animated_gif(width: int = 40, height: int = 40) -> bytes:
    """Two frames: green first, then blue."""
    frames = [Image.new("RGB", (width, height), c) for c in ((0, 200, 0), (0, 0, 200))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, in a few hundred bytes:
    decoding it would take the memory of all of them (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    # The first rows only: the decoder would allocate the whole canvas before finding out.
    rows = zlib.compress(b"\0" * (width + 1) * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
