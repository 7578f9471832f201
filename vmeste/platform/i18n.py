"""The language of user-facing texts: gettext catalogs read with Babel, one locale per
request or command.

Code is written in English, so a message id is the English text; the ``ru`` catalog (the
default) and the ``en`` catalog translate it (``vmeste/locale/*/LC_MESSAGES/vmeste.po``).
The current locale lives in a ContextVar: the HTTP middleware sets it from
``Accept-Language``, the CLI from ``--lang`` or the POSIX locale, and a message built
anywhere below (a DomainError raised deep in a service) comes out in it.

Call convention (Babel's extractor reads exactly this shape):

* ``_("Territory {code} not found", code=code)``: a literal English id, then named
  placeholders. Never an f-string or a concatenation inside ``_()``: the extractor
  skips them, and a translator must see the placeholder, not the value.
* ``N_("...")`` marks a module-level constant (evaluated before any locale exists);
  ``translate(constant, **params)`` translates it where it is shown.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel.core import negotiate_locale
from babel.messages.pofile import read_po

from vmeste.platform.http.accept import weights

#: Locales with a catalog, the default first.
SUPPORTED = ("ru", "en")
DEFAULT = "ru"
DOMAIN = "vmeste"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_current: ContextVar[str] = ContextVar("vmeste_locale", default=DEFAULT)


def catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _catalog(code: str) -> dict[str, str]:
    """msgid → msgstr of one locale, read once per process; an empty msgstr is absent
    (the caller falls back to the English id, which a test forbids anyway)."""
    with catalog_path(code).open("rb") as file:
        catalog = read_po(file, locale=code, domain=DOMAIN)
    return {message.id: message.string for message in catalog
            if message.id and isinstance(message.id, str) and message.string}


@lru_cache(maxsize=256)
def supported(code: str | None) -> str | None:
    """``code`` as one of :data:`SUPPORTED` (``en_US.UTF-8`` → ``en``), or None; every
    request asks, with one of a handful of codes."""
    if not code:
        return None
    language = code.split(".", 1)[0].split("@", 1)[0].replace("_", "-")
    found = negotiate_locale([language], SUPPORTED, sep="-")
    return found.lower() if found else None


def current() -> str:
    return _current.get()


class use_locale:
    """Texts built inside the block are in ``code`` (an unsupported one is the default).
    A class, not a generator: every request enters one, and contextlib's generator
    machinery cost several times the variable's own set and reset."""

    __slots__ = ("_token", "chosen")

    def __init__(self, code: str) -> None:
        self.chosen = supported(code) or DEFAULT

    def __enter__(self) -> str:
        self._token = _current.set(self.chosen)
        return self.chosen

    def __exit__(self, *_exc: object) -> None:
        _current.reset(self._token)


def negotiate(accept_language: str | None, default: str = DEFAULT) -> str:
    """The supported locale an ``Accept-Language`` header asks for (``en-US,en;q=0.9``
    → ``en``); ``default`` when it names none of ours."""
    wanted = weights(accept_language or "")
    # Most wanted first; sorted() is stable, so equal q keep the header's order.
    ranked = sorted((tag for tag, q in wanted.items() if q > 0 and tag != "*"),
                    key=lambda tag: -wanted[tag])
    found = negotiate_locale(ranked, SUPPORTED, sep="-")
    return found.lower() if found else default


def translate(text: str, /, **params: object) -> str:
    """``text`` (an English message id) in the current locale, placeholders filled."""
    translated = _catalog(_current.get()).get(text, text)
    return translated.format(**params) if params else translated


#: The extraction keyword for literal ids; the same function as :func:`translate`.
_ = translate


def N_(text: str) -> str:
    """Mark a constant for extraction; it is translated where used, by ``translate``."""
    return text
