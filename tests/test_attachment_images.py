"""The photo cleaner on what phones and scanners send: a JPEG with an MPF block (Pillow's
MPO), a CMYK JPEG with its profile, an RGB PNG with a transparent colour; metadata
gone in every case."""

from __future__ import annotations

import io

from PIL import Image, ImageCms

from tests.attachment_world import GPS_IFD, MAKE, error_code, photo_with_gps, upload, uploaded_id
from tests.test_attachments import _pk, _stored, city  # noqa: F401 - the fixture
from vmeste.platform.attachments.content import JPEG, PNG
from vmeste.platform.attachments.images import MAX_PIXELS, clean
from vmeste.platform.attachments.models import Attachment


def _mpo() -> bytes:
    """A two-frame MPO as an Ultra HDR phone photo is (the main picture and a gain map),
    with the phone's EXIF on the first frame."""
    first = Image.open(io.BytesIO(photo_with_gps(64, 32)))
    gain = Image.new("RGB", (16, 8), "gray")
    exif = first.getexif()
    out = io.BytesIO()
    first.save(out, "MPO", save_all=True, append_images=[gain], exif=exif.tobytes(),
               comment=b"shot at home")
    return out.getvalue()


def test_an_mpo_photo_is_taken_as_a_jpeg_of_its_first_frame() -> None:
    data = _mpo()
    assert Image.open(io.BytesIO(data)).format == "MPO"

    cleaned = clean(data, JPEG)

    stored = Image.open(io.BytesIO(cleaned.data))
    assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1
    assert (cleaned.width, cleaned.height) == (32, 64)  # turned as the EXIF says
    assert not stored.getexif() and "comment" not in stored.info
    assert b"GPSLatitude" not in cleaned.data and b"PhoneMaker" not in cleaned.data
    assert b"MPF" not in cleaned.data[:2048]


async def test_an_mpo_upload_is_stored_as_a_jpeg(client, city, db) -> None:  # noqa: F811
    row = await Attachment.get(id=_pk(await uploaded_id(client, city["citizen"], _mpo())))

    assert row.content_type == "image/jpeg"
    stored = Image.open(io.BytesIO(_stored(db, row)))
    assert stored.format == "JPEG" and not stored.getexif().get_ifd(GPS_IFD)
    assert MAKE not in stored.getexif()


def test_a_cmyk_jpeg_loses_its_cmyk_profile_and_an_rgb_one_keeps_its_own() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    cmyk = io.BytesIO()
    Image.new("CMYK", (40, 20), (0, 255, 255, 0)).save(cmyk, "JPEG", icc_profile=b"\0" * 64)
    rgb = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(rgb, "JPEG", icc_profile=srgb)

    from_cmyk = Image.open(io.BytesIO(clean(cmyk.getvalue(), JPEG).data))
    from_rgb = Image.open(io.BytesIO(clean(rgb.getvalue(), JPEG).data))

    assert from_cmyk.mode == "RGB" and "icc_profile" not in from_cmyk.info
    assert from_rgb.info.get("icc_profile") == srgb


def test_an_rgb_png_with_a_transparent_colour_keeps_its_transparency() -> None:
    image = Image.new("RGB", (8, 8), (255, 255, 255))
    image.putpixel((1, 1), (0, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=(255, 255, 255))

    stored = Image.open(io.BytesIO(clean(out.getvalue(), PNG).data)).convert("RGBA")

    assert stored.getpixel((0, 0))[3] == 0 and stored.getpixel((1, 1)) == (0, 0, 255, 255)


def test_the_thumbnail_fits_and_the_canvas_limit_suits_phone_photos() -> None:
    cleaned = clean(photo_with_gps(1600, 700, orientation=1), JPEG)

    thumbnail = Image.open(io.BytesIO(cleaned.thumbnail))
    assert thumbnail.size == (320, 140)
    assert 12_000_000 < MAX_PIXELS <= 25_000_000


async def test_a_mislabelled_image_is_refused(client, city) -> None:  # noqa: F811
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, "PNG")
    forged = b"\xff\xd8\xff" + png.getvalue()

    refused = await upload(client, city["citizen"], forged)

    assert (refused.status_code, error_code(refused)) == (415, "WRONG_FILE_TYPE")
