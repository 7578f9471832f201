"""The frame of the platform's own HTML pages (the site widget's, the dev issuer's
sign-in): one head, one stylesheet, the body given, scripts only from files."""

from __future__ import annotations

from html import escape

#: The one stylesheet of those pages (the widget's package serves it).
STYLESHEET = "/widgets/static/widget.css"

_SHELL = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{stylesheet}">
</head>
<body>
{body}{scripts}</body>
</html>
"""


def html_page(lang: str, title: str, body: str, *scripts: str) -> str:
    """``body`` (markup, already escaped) under ``title`` (text), with the script files
    ``scripts`` at its end (deferred, in order)."""
    tags = "".join(f'<script src="{escape(src)}" defer></script>\n' for src in scripts)
    return _SHELL.format(lang=escape(lang), title=escape(title), stylesheet=STYLESHEET,
                         body=body, scripts=tags)
