"""Photos re-encoded before they are stored: every metadata block (EXIF with its GPS
position, XMP, IPTC, comments, a PNG's text chunks) is dropped by building the stored
image from its pixels alone, after turning it the way its EXIF orientation says, so
the photo still looks as it did on the phone. The colour profile is kept: it changes
how the pixels look and says nothing of the person. An animated image keeps its
first frame.

Decoding is bounded (``MAX_PIXELS``) before any pixel is read, so a small file that
declares a huge canvas (a decompression bomb) is refused cheaply.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from vmeste.platform.attachments.content import JPEG, PNG, WEBP, FileType

#: The largest canvas taken (a 50-megapixel photo; phones take 12 to 48).
MAX_PIXELS = 50_000_000
THUMBNAIL_SIZE = (320, 320)
JPEG_QUALITY = 88
_FORMATS = {JPEG.name: "JPEG", PNG.name: "PNG", WEBP.name: "WEBP"}


class ImageRefused(ValueError):
    """The bytes do not decode as the image their signature promised, or the canvas is
    too large."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    thumbnail: bytes
    width: int
    height: int


def clean(data: bytes, kind: FileType) -> CleanImage:
    """``data`` re-encoded as ``kind`` from its pixels only, and a JPEG thumbnail."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            source = Image.open(io.BytesIO(data))
            if source.format != _FORMATS[kind.name]:
                raise ImageRefused(f"decodes as {source.format}, not {kind.name}")
            if source.width * source.height > MAX_PIXELS:
                raise ImageRefused("the canvas is too large")
            upright = ImageOps.exif_transpose(source)
            upright.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, ImageRefused):
            raise
        raise ImageRefused(type(error).__name__) from None
    profile = source.info.get("icc_profile")
    pixels = _pixels_only(upright, kind)
    return CleanImage(data=_encode(pixels, kind, profile), thumbnail=_thumbnail(pixels),
                      width=pixels.width, height=pixels.height)


def _pixels_only(image: Image.Image, kind: FileType) -> Image.Image:
    """A new image holding nothing but ``image``'s pixels, in a mode ``kind`` stores."""
    alpha = "A" in image.getbands() or "a" in image.getbands() or (
        "transparency" in image.info)
    if kind is JPEG:
        wanted = image.mode if image.mode in ("L", "RGB") else "RGB"
    elif image.mode in ("L", "LA", "RGB", "RGBA"):
        wanted = image.mode
    else:
        wanted = "RGBA" if alpha else "RGB"
    converted = image.convert(wanted) if image.mode != wanted else image
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())


def _encode(image: Image.Image, kind: FileType, profile: bytes | None) -> bytes:
    out = io.BytesIO()
    extra = {"icc_profile": profile} if profile else {}
    if kind is JPEG:
        image.save(out, "JPEG", quality=JPEG_QUALITY, **extra)
    elif kind is PNG:
        image.save(out, "PNG", optimize=True, **extra)
    else:
        image.save(out, "WEBP", quality=JPEG_QUALITY, **extra)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail(THUMBNAIL_SIZE)
    if small.mode in ("LA", "RGBA"):
        backdrop = Image.new("RGB", small.size, "white")
        backdrop.paste(small, mask=small.getchannel("A"))
        small = backdrop
    elif small.mode != "RGB":
        small = small.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()
