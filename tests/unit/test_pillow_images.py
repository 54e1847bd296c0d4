"""The Pillow adapter on real images made here: formats told by their bytes, metadata
stripped, a centred square, bombs refused before decoding."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from messenger.adapters.images import PillowImages
from messenger.domain.errors import ImageTooLarge, UnsupportedImage
from messenger.domain.model import EncodedImage
from tests import pictures

MAX_PIXELS = 40_000_000


@pytest.fixture
def images() -> PillowImages:
    return PillowImages()


def opened(encoded: EncodedImage) -> Image.Image:
    image = Image.open(io.BytesIO(encoded.data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
async def test_each_accepted_format_is_told_by_its_bytes_and_made_an_avatar(
    images: PillowImages, fmt: str
) -> None:
    data = pictures.picture(300, 200, fmt)

    info = await images.probe(data[:4096], MAX_PIXELS)
    large, small = await images.avatar(data, (512, 96), MAX_PIXELS)

    assert info is not None
    assert (info.format, info.width, info.height) == (fmt, 300, 200)
    for encoded, side in ((large, 512), (small, 96)):
        assert encoded.content_type == "image/webp"
        image = opened(encoded)
        assert (image.format, image.size) == ("WEBP", (side, side))


async def test_gps_and_other_metadata_of_a_jpeg_do_not_survive(images: PillowImages) -> None:
    data = pictures.jpeg_with_gps()
    assert pictures.GPS_IFD in Image.open(io.BytesIO(data)).getexif()  # the test's premise

    avatars = await images.avatar(data, (512, 96), MAX_PIXELS)
    _, thumbnail = await images.thumbnail(data, 320, MAX_PIXELS)

    for encoded in (*avatars, thumbnail):
        image = opened(encoded)
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        assert b"Secret Camera" not in encoded.data
        assert b"taken at home" not in encoded.data


async def test_an_animated_gif_gives_its_first_frame(images: PillowImages) -> None:
    (avatar,) = await images.avatar(pictures.animated_gif(), (96,), MAX_PIXELS)

    image = opened(avatar).convert("RGB")
    assert getattr(image, "n_frames", 1) == 1
    pixel = image.getpixel((48, 48))
    assert isinstance(pixel, tuple)
    assert pixel[1] > 150
    assert pixel[2] < 60


async def test_a_text_file_named_png_is_not_an_image(images: PillowImages) -> None:
    text = b"This is not a PNG, whatever its name says.\n" * 10

    assert await images.probe(text, MAX_PIXELS) is None
    with pytest.raises(UnsupportedImage):
        await images.avatar(text, (512,), MAX_PIXELS)
    with pytest.raises(UnsupportedImage):
        await images.thumbnail(text, 320, MAX_PIXELS)


async def test_a_png_header_with_nothing_behind_is_not_an_image(images: PillowImages) -> None:
    data = pictures.picture(100, 100)[:60]

    with pytest.raises(UnsupportedImage):
        await images.avatar(data, (96,), MAX_PIXELS)


async def test_a_decompression_bomb_is_refused_before_decoding(images: PillowImages) -> None:
    bomb = pictures.png_bomb(20_000, 20_000)  # 400 megapixels in a few hundred bytes
    assert len(bomb) < 10_000

    assert await images.probe(bomb, MAX_PIXELS) is None
    with pytest.raises(ImageTooLarge) as caught:
        await images.avatar(bomb, (512,), MAX_PIXELS)
    assert caught.value.code == "image_too_large"
    with pytest.raises(ImageTooLarge):
        await images.thumbnail(bomb, 320, MAX_PIXELS)


async def test_a_wide_image_is_cropped_to_its_centred_square(images: PillowImages) -> None:
    # Red left half, blue right half: the centre square is half red, half blue.
    (avatar,) = await images.avatar(pictures.halves(400, 100), (96,), MAX_PIXELS)

    image = opened(avatar).convert("RGB")
    assert image.size == (96, 96)
    left = image.getpixel((10, 48))
    right = image.getpixel((86, 48))
    assert isinstance(left, tuple)
    assert isinstance(right, tuple)
    assert left[0] > 200
    assert left[2] < 60
    assert right[2] > 200
    assert right[0] < 60


async def test_a_thumbnail_fits_the_box_keeps_proportions_and_never_grows(
    images: PillowImages,
) -> None:
    info, wide = await images.thumbnail(pictures.picture(1000, 500, "JPEG"), 320, MAX_PIXELS)
    _, tiny = await images.thumbnail(pictures.picture(40, 30), 320, MAX_PIXELS)

    assert (info.width, info.height) == (1000, 500)
    assert (wide.width, wide.height) == opened(wide).size == (320, 160)
    assert (tiny.width, tiny.height) == (40, 30)


async def test_transparency_is_kept(images: PillowImages) -> None:
    data = pictures.picture(50, 50, "PNG", colour=(0, 0, 0, 0))

    (avatar,) = await images.avatar(data, (96,), MAX_PIXELS)

    image = opened(avatar)
    assert image.mode == "RGBA"
    pixel = image.getpixel((48, 48))
    assert isinstance(pixel, tuple)
    assert pixel[3] == 0
