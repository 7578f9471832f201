"""The widget's page inside the site's iframe: its markup with every label in place
(so a screen reader has them before any script runs), its texts from the catalogs in
the widget's language (or the browser's), and the configuration its script reads.

The page runs on the platform's origin: the citizen's token stays there, the host page
never sees it. Its script and style are files of this package; the page allows nothing
else (``Content-Security-Policy``), and only the widget's sites may frame it.
"""

from __future__ import annotations

import json
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vmeste.platform.appeals.models import AppealStatus
from vmeste.platform.html_pages import html_page
from vmeste.platform.i18n import N_, _, current, translate
from vmeste.platform.reference.models import Category, Organization, Territory
from vmeste.platform.settings import Settings
from vmeste.platform.widgets.configuration import normal_origin
from vmeste.platform.widgets.models import Widget

STATIC = Path(__file__).resolve().parent / "static"
#: What a widget page may load: its own files, the platform's API, a photo chosen.
FRAME_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                "img-src 'self' blob: data:; connect-src 'self'{token}; form-action 'none'; "
                "base-uri 'none'; frame-ancestors {ancestors}")
#: What the platform's own pages of the sign-in allow: nothing framed, nothing foreign.
OWN_PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                   "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

_STATUSES = {
    AppealStatus.MODERATION: N_("being checked by a moderator"),
    AppealStatus.REJECTED: N_("rejected"),
    AppealStatus.UNROUTED: N_("waiting to be sent to the responsible body"),
    AppealStatus.ROUTED: N_("sent to the responsible body"),
    AppealStatus.IN_PROGRESS: N_("in progress"),
    AppealStatus.CLARIFICATION_REQUESTED: N_("the body asks you to clarify"),
    AppealStatus.ANSWERED: N_("answered"),
    AppealStatus.CLOSED: N_("closed"),
    AppealStatus.WITHDRAWN: N_("withdrawn"),
}


@cache
def template(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def frame_texts() -> dict[str, str]:
    """What every widget's script writes itself about signing in and sending."""
    return {
        "signingIn": _("Signing in…"),
        "signInFailed": _("Sign-in did not succeed. Try again."),
        "signInUnavailable": _("Sign-in is not configured on this platform."),
        "popupBlocked": _("Allow the sign-in window to open, then try again."),
        "sending": _("Sending…"),
        "network": _("The platform cannot be reached. Try again later."),
    }


def _texts() -> dict[str, str]:
    """What the appeal script writes itself (the markup's labels are filled on the server)."""
    return {
        **frame_texts(),
        "uploading": _("Uploading the photo…"),
        "sent": _("Your appeal No. {number} is sent. Its status: {status}."),
        "failed": _("The appeal was not sent: {reason}"),
        "textRequired": _("Describe the problem in at least 10 characters."),
        "pointPlaced": _("Point placed at latitude {lat}, longitude {lon}."),
        "noAppeals": _("You have sent no appeals yet."),
        "appealLine": _("No. {number}: {status}"),
        "photoTooLarge": _("The photo is larger than {limit} MB."),
    }


def _ancestors(widget: Widget, dev_mode: bool) -> str:
    """The widget's sites for ``frame-ancestors``, each checked again as an origin when
    the header is built: a value that reached the row some other way (a migration, a
    hand edit) cannot add a directive (``;``) or a source (a space, ``*``)."""
    origins = [origin for origin in widget.allowed_origins
               if isinstance(origin, str) and normal_origin(origin, dev_mode=dev_mode) == origin]
    return " ".join(origins) or "'none'"


def _token_source(settings: Settings) -> str:
    """The token endpoint's origin for ``connect-src`` (only its origin, so a setting
    with a space or a ``;`` adds nothing else to the policy)."""
    if settings.dev_mode or not settings.oidc_token_url:
        return ""
    parts = urlsplit(settings.oidc_token_url)
    origin = normal_origin(f"{parts.scheme}://{parts.netloc}", dev_mode=False)
    return f" {origin}" if origin else ""


def frame_policy(widget: Widget, settings: Settings) -> str:
    return FRAME_POLICY.format(token=_token_source(settings),
                               ancestors=_ancestors(widget, settings.dev_mode))


def sign_in(settings: Settings, base_url: str) -> dict[str, str] | None:
    """Where the widget sends the citizen to sign in: the dev issuer's page in dev mode,
    else the configured provider; None when neither is there."""
    redirect = f"{base_url}/widgets/callback"
    if settings.dev_mode:
        return {"authorize": f"{base_url}/identity/dev/authorize",
                "token": f"{base_url}/identity/dev/token",
                "clientId": settings.oidc_client_id, "redirectUri": redirect}
    if settings.oidc_authorization_url and settings.oidc_token_url:
        return {"authorize": settings.oidc_authorization_url,
                "token": settings.oidc_token_url, "clientId": settings.oidc_client_id,
                "redirectUri": redirect}
    return None


#: The photo types the form offers, of the attachment types the platform takes.
PHOTO_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def photos(settings: Settings, base_url: str) -> dict[str, Any] | None:
    """Where the form uploads a photo (``POST /attachments``, the attachments part),
    its limit and types; None when the platform takes no photo type."""
    types = [PHOTO_TYPES[name] for name in settings.attachment_types if name in PHOTO_TYPES]
    if not types:
        return None
    return {"url": f"{base_url}/attachments", "maxBytes": settings.attachment_max_bytes,
            "types": types}


def json_for_script(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c")


async def frame_page(widget: Widget, settings: Settings, base_url: str, origin: str) -> str:
    categories = {row.code: row.name for row in
                  await Category.filter(code__in=widget.category_codes)}
    options = "".join(
        f'<option value="{escape(code)}">{escape(categories[code])}</option>'
        for code in widget.category_codes if code in categories)
    territory = await Territory.get(id=widget.territory_id)
    organization = (await Organization.get(id=widget.organization_id)
                    if widget.organization_id is not None else None)
    config = {
        "key": widget.public_key, "colour": widget.colour, "origin": origin,
        "organizationOgrn": organization.ogrn if organization else None,
        "territoryCode": territory.code, "graphql": f"{base_url}/graphql",
        "map": f"{base_url}/widgets/{widget.public_key}/map.json",
        "submissions": f"{base_url}/widgets/{widget.public_key}/submissions",
        "signIn": sign_in(settings, base_url), "attachments": photos(settings, base_url),
        "texts": _texts(),
        "statuses": {status.name: translate(text) for status, text in _STATUSES.items()},
    }
    labels = _labels()
    fill = {
        "header": frame_header(widget, organization.name if organization else territory.name,
                               labels.pop("l_signin_intro")),
        "options": options, "config": json_for_script(config),
        **{name: escape(text) for name, text in labels.items()},
    }
    return html_page(current(), widget.title, template("frame.html").format(**fill),
                     "/widgets/static/frame-common.js", "/widgets/static/widget.js")


def frame_header(widget: Widget, body_name: str, signin_intro: str) -> str:
    """The top of every widget's page: its title, whom it reaches, its intro, and the
    sign-in invitation (``signin_intro`` says what signing in is for)."""
    return template("frame_header.html").format(
        title=escape(widget.title), intro=escape(widget.intro), l_to=escape(_("To")),
        body_name=escape(body_name), l_signin_intro=escape(signin_intro),
        l_signin=escape(_("Sign in")))


def _labels() -> dict[str, str]:
    return {
        "l_signin_intro": _("Sign in to send an appeal and follow its answer."),
        "l_signout": _("Sign out"),
        "l_category": _("Category"),
        "l_text": _("Describe the problem"),
        "l_text_hint": _("What is wrong, and since when. At least 10 characters."),
        "l_photo": _("Photo (optional)"),
        "l_place": _("Where is it?"),
        "l_map": _("Map of the territory: click a place, or use the arrow keys to move "
                   "the point and Enter to place it"),
        "l_map_help": _("Click the map or focus it and use the arrow keys. The address "
                        "field below works without the map."),
        "l_address": _("Address or landmark"),
        "l_send": _("Send the appeal"),
        "l_mine": _("My appeals"),
        "l_new": _("Write another appeal"),
    }


def callback_page() -> str:
    body = template("callback.html").format(
        closing=escape(_("Signing in… This window closes by itself.")))
    return html_page(current(), _("Signing in…"), body, "/widgets/static/callback.js")
