"""Photos re-encoded before they are stored: every metadata block (EXIF with its GPS
position, XMP, IPTC, comments, a PNG's text chunks) is dropped by encoding the pixels
with an empty ``info`` and nothing but what this module passes the encoder, after
turning them the way the EXIF orientation says, so the photo still looks as it did on
the phone. The colour profile is kept while the pixels keep their mode: it changes how
they look and says nothing of the person (a CMYK profile on RGB pixels would be wrong).
An animated image keeps its first frame, and so does a phone's JPEG with an MPF block
(Pillow's ``MPO``: Ultra HDR, Samsung's and Pixel's depth or gain maps).

Decoding is bounded (``MAX_PIXELS``) before any pixel is read, so a small file that
declares a huge canvas (a decompression bomb) is refused cheaply. At the limit the
decoded pixels are the largest buffer (about 100 MB for RGBA); the orientation turns
them in place, a change of mode replaces them, and the thumbnail is reduced from them
without a full-size copy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from vmeste.platform.attachments.content import JPEG, PNG, WEBP, FileType

#: The largest canvas taken: 25 megapixels. Phones save 12 to 24 (a 48- or 50-megapixel
#: sensor bins to 12 unless its full-resolution mode is chosen).
MAX_PIXELS = 25_000_000
THUMBNAIL_SIZE = (320, 320)
JPEG_QUALITY = 88
#: The formats Pillow reports for each type the signature told.
_FORMATS = {JPEG.name: ("JPEG", "MPO"), PNG.name: ("PNG",), WEBP.name: ("WEBP",)}


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
    """``data`` re-encoded as ``kind`` from its pixels only, and a JPEG thumbnail. CPU
    and memory heavy: the caller bounds how many run at once."""
    try:
        source = Image.open(io.BytesIO(data))
        if source.format not in _FORMATS[kind.name]:
            raise ImageRefused(f"decodes as {source.format}, not {kind.name}")
        # Pillow's own bomb check (at open) only refuses far larger canvases.
        if source.width * source.height > MAX_PIXELS:
            raise ImageRefused("the canvas is too large")
        source.load()  # the first frame of an animation or an MPO
        ImageOps.exif_transpose(source, in_place=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, ImageRefused):
            raise
        raise ImageRefused(type(error).__name__) from None
    pixels, profile = _pixels_only(source, kind)
    return CleanImage(data=_encode(pixels, kind, profile), thumbnail=_thumbnail(pixels),
                      width=pixels.width, height=pixels.height)


def _pixels_only(image: Image.Image, kind: FileType) -> tuple[Image.Image, bytes | None]:
    """``image``'s pixels in a mode ``kind`` stores, with an empty ``info`` (encoders
    read a comment, a profile or a transparency from it), and the colour profile that
    still fits them."""
    alpha = "A" in image.getbands() or "a" in image.getbands() or (
        "transparency" in image.info)
    if kind is JPEG:
        wanted = image.mode if image.mode in ("L", "RGB") else "RGB"
    elif image.mode in ("LA", "RGBA") or (image.mode in ("L", "RGB") and not alpha):
        wanted = image.mode
    else:  # a palette, or L/RGB with a tRNS colour: the transparency becomes alpha
        wanted = "RGBA" if alpha else "RGB"
    profile = image.info.get("icc_profile") if wanted == image.mode else None
    pixels = image.convert(wanted) if wanted != image.mode else image
    pixels.info = {}
    return pixels, profile or None


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
    """A small JPEG, reduced from ``image`` by a whole factor first (a new, small image:
    never a full-size copy), then to fit."""
    factor = max(1, min(image.width // THUMBNAIL_SIZE[0], image.height // THUMBNAIL_SIZE[1]))
    small = image.reduce(factor) if factor > 1 else image.copy()
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
