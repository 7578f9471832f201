"""GeoReport v2's two formats: XML without namespaces (required by the spec) and JSON
(its programmatic mapping), both UTF-8, and its error body, an array of
``{code, description}``.

One tree of plain values renders as either: a list becomes repeated elements named
by :data:`ITEMS` (``services`` holds ``service``), ``None`` an empty element (``null``
in JSON), a boolean ``true``/``false``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree

from starlette.responses import Response

FORMATS = ("xml", "json")
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
#: A list's element name → the name of each of its items.
ITEMS = {"services": "service", "attributes": "attribute", "values": "value",
         "service_requests": "request", "errors": "error", "endpoints": "endpoint",
         "formats": "format"}


#: What XML 1.0 cannot hold (C0 controls but tab and line ends, and U+FFFE/U+FFFF):
#: ElementTree writes them anyway and the document becomes unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


#: The largest row number (a 32-bit integer column).
NUMBER_MAX = 2**31 - 1


def number(text: str) -> int | None:
    """A row number as a client or an administrator types it (ASCII digits that fit
    the column), else None, so a query never sees a value its column cannot hold."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(NUMBER_MAX)):
        return None
    value = int(text)
    return value if value <= NUMBER_MAX else None


class Open311Error(Exception):
    """A refusal in the spec's shape: 400, 403 or 404 with its descriptions (429, with
    the seconds to wait, when a budget is spent)."""

    def __init__(self, status: int, *descriptions: str, retry_after: int | None = None
                 ) -> None:
        super().__init__("; ".join(descriptions))
        self.status, self.descriptions, self.retry_after = status, descriptions, retry_after


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ElementTree.SubElement(element, name), child)
    elif isinstance(value, list | tuple):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEMS[element.tag]), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_XML.sub("\ufffd", str(value))


#: The declaration the spec asks for, in its own spelling.
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def xml_body(root: str, value: Any) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, value)
    return XML_DECLARATION + ElementTree.tostring(element, encoding="unicode").encode()


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """``value`` under ``root`` in XML; in JSON the value itself (a list for lists)."""
    if fmt == "json":
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        return Response(body, status_code=status, media_type=JSON)
    return Response(xml_body(root, value), status_code=status, media_type=XML)


def error_response(fmt: str, status: int, descriptions: Sequence[str]) -> Response:
    """The spec's error array; its codes repeat the HTTP status, as clients expect."""
    return render(fmt, "errors",
                  [{"code": status, "description": text} for text in descriptions], status)
