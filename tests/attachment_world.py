"""Files for attachment tests, made here: a phone photo with a GPS position and a
rotation in its EXIF, a PDF, office documents, and helpers to upload and read back."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx
from PIL import Image

#: EXIF tags (TIFF/EXIF 2.3): the GPS IFD pointer, orientation, camera make.
GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
#: Orientation 6: the camera was turned, show the pixels rotated 90° clockwise.
ROTATED = 6


def photo_with_gps(width: int = 64, height: int = 32, orientation: int = ROTATED) -> bytes:
    """A JPEG as a phone writes it: a GPS position (Kirov), the camera's make, an
    orientation, and an XMP packet; left half red, right half blue."""
    image = Image.new("RGB", (width, height), "red")
    image.paste(Image.new("RGB", (width // 2, height), "blue"), (width // 2, 0))
    exif = Image.Exif()
    exif[MAKE] = "PhoneMaker"
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (58.0, 36.0, 12.5), 3: "E", 4: (49.0, 39.0, 3.2)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(),
               xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>58,36N'
                   b'</exif:GPSLatitude></x:xmpmeta>')
    return out.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "home address: ул. Ленина, 5")
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 128, 0, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"'
            '/></Types>'))
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("virus.exe", b"MZ" + b"\0" * 100)
    return out.getvalue()


async def upload(http: httpx.AsyncClient, token: str | None, data: bytes,
                 name: str = "photo.jpg", content_type: str = "image/jpeg") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/attachments", files={"file": (name, data, content_type)},
                           headers=headers)


async def uploaded_id(http: httpx.AsyncClient, token: str, data: bytes, **kwargs: Any) -> str:
    response = await upload(http, token, data, **kwargs)
    assert response.status_code == 201, response.text
    found: str = response.json()["id"]
    return found


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code
