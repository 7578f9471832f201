"""The dev issuer's sign-in page: an OIDC-style authorization endpoint with PKCE, so
the site widget signs a person in through the same flow as with ESIA, without ESIA.

Served in dev mode only (no route exists otherwise). The person types who they are;
the page answers the ``redirect_uri`` with a code, and only the widget's return page
on the platform's own origin (``/widgets/callback``, nothing else, no query), so a code
never travels to another site or another page. The code is a token of the dev issuer
for another audience, valid for two minutes, carrying the PKCE challenge and a random
``jti``: the token endpoint gives the person's token only for the verifier that matches
it (RFC 7636's 43 to 128 characters), and only once: a code exchanged is remembered
(in the process, until it expires) and refused again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta
from html import escape
from pathlib import Path
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.html_pages import html_page
from vmeste.platform.i18n import _, current, supported, use_locale
from vmeste.platform.identity.dev_issuer import dev_issuer
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.tokens import TokenError
from vmeste.platform.settings import Settings

CODE_AUDIENCE = "vmeste-dev-code"
CODE_TTL = timedelta(minutes=2)
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
_PAGE_POLICY = ("default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; "
                "frame-ancestors 'none'")
_HEADERS = {"Content-Security-Policy": _PAGE_POLICY, "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
#: Where the dev issuer returns a code: the widget's return page, and no other.
CALLBACK_PATH = "/widgets/callback"
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
_PARAMETERS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge",
               "code_challenge_method", "ui_locales")


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _problem(request: Request, asked: dict[str, str]) -> str | None:
    """Why the authorization request cannot be answered, or None."""
    if asked.get("redirect_uri", "") != _own_origin(request) + CALLBACK_PATH:
        return _("The return address must be on this platform")
    if asked.get("response_type") != "code":
        return _("Only the authorization code flow is supported")
    if (asked.get("code_challenge_method") != "S256"
            or not _CHALLENGE.fullmatch(asked.get("code_challenge", ""))):
        return _("A PKCE challenge (S256) is required")
    return None


class _SpentCodes:
    """The codes exchanged already, each kept until it would have expired anyway: the
    dev issuer runs in one process on a developer's machine, so memory is where a
    code's single use is enforced."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def spend(self, jti: str, expires: float) -> bool:
        """True the first time ``jti`` is spent, False after."""
        now = time.time()
        self._until = {key: until for key, until in self._until.items() if until > now}
        if not jti or jti in self._until:
            return False
        self._until[jti] = expires
        return True


def _template(name: str) -> str:
    return (Path(__file__).with_name(name)).read_text(encoding="utf-8")


def _page(asked: dict[str, str] | None, error: str = "") -> str:
    """The sign-in form carrying the request's parameters; without them (a request
    that cannot be answered) only the error."""
    form = ""
    if asked is not None:
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{escape(asked.get(name, ""))}">'
            for name in _PARAMETERS)
        form = _template("dev_login_form.html").format(
            label=escape(_("Test login")),
            hint=escape(_("Latin letters, digits, dots, hyphens: 2 to 63 characters.")),
            submit=escape(_("Sign in")), hidden=hidden)
    alert = f'<p class="vw-status error" role="alert">{escape(error)}</p>' if error else ""
    title = _("Development sign-in")
    return html_page(current(), title, _template("dev_login.html").format(
        title=escape(title),
        warning=escape(_("Development mode: no identity is checked. Type any test login.")),
        alert=alert, form=form))


def _challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _token_error(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400,
                        headers={"Cache-Control": "no-store"})


def routes(settings: Settings) -> list[BaseRoute]:
    spent = _SpentCodes()

    async def authorize(request: Request) -> Response:
        asked = {name: value for name, value in (
            request.query_params if request.method == "GET" else await request.form()
        ).items() if name in (*_PARAMETERS, "login") and isinstance(value, str)}
        with use_locale(supported(asked.get("ui_locales")) or current()):
            problem = _problem(request, asked)
            if problem is not None:
                return HTMLResponse(_page(None, problem), status_code=400, headers=_HEADERS)
            if request.method == "GET":
                return HTMLResponse(_page(asked), headers=_HEADERS)
            login = asked.get("login", "").strip().lower()
            if not _LOGIN.fullmatch(login):
                return HTMLResponse(_page(asked, _("This is not a test login")),
                                    status_code=400, headers=_HEADERS)
        code = dev_issuer(settings.data_dir).sign(
            {"sub": f"widget-{login}", "jti": secrets.token_urlsafe(16),
             "challenge": asked["code_challenge"],
             "redirect_uri": asked["redirect_uri"], "client_id": asked.get("client_id", "")},
            audience=CODE_AUDIENCE, ttl=CODE_TTL)
        query = urlencode({"code": code, "state": asked.get("state", "")})
        return RedirectResponse(f"{asked['redirect_uri']}?{query}", status_code=303,
                                headers={"Cache-Control": "no-store"})

    async def token(request: Request) -> Response:
        form = await request.form()
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "authorization_code only")
        try:
            claims = dev_issuer(settings.data_dir).verify(str(form.get("code", "")),
                                                          audience=CODE_AUDIENCE)
        except TokenError:
            return _token_error("invalid_grant", "the code is not valid")
        verifier = str(form.get("code_verifier", ""))
        if (not _VERIFIER.fullmatch(verifier)
                or not hmac.compare_digest(_challenge_of(verifier), str(claims.get("challenge")))
                or form.get("redirect_uri") != claims.get("redirect_uri")
                or form.get("client_id", "") != claims.get("client_id")):
            return _token_error("invalid_grant", "the code was issued for another request")
        if not spent.spend(str(claims.get("jti", "")), float(claims["exp"])):
            return _token_error("invalid_grant", "the code was used already")
        signed = await issue_dev_token(settings, Role.CITIZEN, subject=str(claims["sub"]),
                                       profile=DevProfile(complete=True))
        lifetime = int(min(timedelta(hours=12).total_seconds(),
                           settings.auth_max_token_lifetime_seconds))
        return JSONResponse({"access_token": signed, "id_token": signed,
                             "token_type": "Bearer", "expires_in": lifetime},
                            headers={"Cache-Control": "no-store"})

    return [Route("/identity/dev/authorize", authorize, methods=["GET", "POST"]),
            Route("/identity/dev/token", token, methods=["POST"])]
