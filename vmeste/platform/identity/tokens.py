"""Verifying identity tokens and turning their claims into an identity.

The platform never sees passwords: an OIDC provider (ESIA in production, the built-in
development issuer in dev mode) signs a JWT, and every request proves who is calling by
presenting it. Verification is deliberately narrow: only RS256 and ES256 are accepted,
the algorithm is fixed by the key rather than by the token, and ``iss``, ``aud``,
``exp`` and ``sub`` are mandatory, a lifetime longer than the configured maximum
and a malleated ES256 signature are refused. Anything unexpected is refused with a
:class:`TokenError` whose message is safe to show the caller.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import jwt

from vmeste.platform.identity.lifetime import DEFAULT_MAX_LIFETIME_SECONDS, check_lifetime
from vmeste.platform.identity.models import UserKind
from vmeste.platform.identity.signatures import require_low_s
from vmeste.platform.identity.token_errors import TokenError, TokenErrorReason

logger = logging.getLogger(__name__)

#: Asymmetric algorithms only: with HS* the verification key is the signing secret,
#: and ``none`` is no signature at all.
SUPPORTED_ALGORITHMS = frozenset({"RS256", "ES256"})
#: Tolerated clock skew between us and the identity provider.
DEFAULT_LEEWAY_SECONDS = 30
#: However many tokens arrive with unknown key ids, the provider's JWKS endpoint is
#: asked at most this often, so a flood of forged tokens cannot hammer it.
REFETCH_INTERVAL_SECONDS = 10.0
#: A slow JWKS endpoint holds every verification that needs a refresh, so give up fast.
FETCH_TIMEOUT_SECONDS = 5.0

@dataclass(frozen=True)
class IdentityClaims:
    """What the identity provider asserts about a caller.

    Field names match :class:`~vmeste.platform.identity.models.User` so a user row can
    be written straight from it.
    """

    issuer: str
    subject: str
    kind: UserKind = UserKind.PERSON
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    birth_date: date | None = None
    gender: str = ""
    email: str = ""
    phone: str = ""
    address_oktmo: str = ""
    address_fias: str = ""
    verified: bool = False
    org_ogrn: str = ""
    org_name: str = ""
    org_authority: str = ""


_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ESIA_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
_GENDERS = {
    "male": "male",
    "m": "male",
    "м": "male",
    "female": "female",
    "f": "female",
    "ж": "female",
}


def _text(value: object) -> str:
    """Claims come from outside; anything that is not a plain string or number is dropped."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def _birth_date(value: object) -> date | None:
    """ESIA documents ISO dates but prints ``DD.MM.YYYY`` in places; a bad date is no date."""
    text = _text(value)
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _ESIA_DATE.fullmatch(text):
        day, month, year = match.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _section(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def claims_to_identity(claims: Mapping[str, Any]) -> IdentityClaims:
    """Map ESIA-style OIDC claims onto an identity.

    ``iss`` and ``sub`` together name the user for good, so a token without them cannot
    be turned into anyone. An ``org`` object means the caller acts for a legal entity.
    """
    issuer, subject = _text(claims.get("iss")), _text(claims.get("sub"))
    if not issuer or not subject:
        raise TokenError(reason="malformed")
    address = _section(claims.get("address"))
    org = _section(claims.get("org"))
    return IdentityClaims(
        issuer=issuer,
        subject=subject,
        kind=UserKind.LEGAL if org else UserKind.PERSON,
        last_name=_text(claims.get("family_name")),
        first_name=_text(claims.get("given_name")),
        middle_name=_text(claims.get("middle_name")),
        birth_date=_birth_date(claims.get("birthdate")),
        gender=_GENDERS.get(_text(claims.get("gender")).lower(), ""),
        email=_text(claims.get("email")),
        phone=_text(claims.get("phone_number")),
        address_oktmo=_text(address.get("oktmo")),
        address_fias=_text(address.get("fias")),
        verified=claims.get("verified") is True or claims.get("trusted") is True,
        org_ogrn=_text(org.get("ogrn")),
        org_name=_text(org.get("name")),
        org_authority=_text(org.get("authority")),
    )


def peek_issuer(token: str) -> str | None:
    """The token's ``iss`` claim, read without checking anything.

    Never trust the result: it only picks which verifier to try, and that verifier then
    checks the signature and the issuer for real.
    """
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None


@dataclass(frozen=True)
class TokenHeader:
    """The unverified parts of a token's header that decide which key to use."""

    algorithm: str
    kid: str | None


def read_header(token: str) -> TokenHeader:
    """Read the header and refuse unsupported algorithms before any key is looked up,
    so ``none`` and HS* tokens cost neither a JWKS fetch nor a key-confusion risk."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError(reason="malformed") from exc
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm not in SUPPORTED_ALGORITHMS:
        raise TokenError(reason="unsupported_alg")
    return TokenHeader(algorithm=algorithm, kid=header.get("kid"))


@dataclass(frozen=True)
class VerificationKey:
    """A public key and the one algorithm it may verify."""

    kid: str | None
    algorithm: str
    jwk: jwt.PyJWK


#: RFC 7517 members that make up the public part of a key. Anything else, notably a
#: private exponent published by mistake, is left out before the key is built.
_PUBLIC_MEMBERS = {"RSA": ("kty", "n", "e"), "EC": ("kty", "crv", "x", "y")}


def _key_algorithm(entry: Mapping[str, Any]) -> str | None:
    kty = entry.get("kty")
    if kty == "RSA":
        algorithm = "RS256"
    elif kty == "EC" and entry.get("crv") == "P-256":
        algorithm = "ES256"
    else:
        return None
    if entry.get("alg", algorithm) != algorithm or entry.get("use", "sig") != "sig":
        return None
    return algorithm


def parse_jwks(document: object) -> list[VerificationKey]:
    """The usable signing keys of a JWKS document.

    Keys we could never accept (other types, encryption keys, RSA shorter than 2048
    bits, malformed entries) are skipped rather than failing the whole set, as an
    identity provider may publish keys for other purposes alongside ours.
    """
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS document is an object with a 'keys' list")
    keys: list[VerificationKey] = []
    for entry in document["keys"]:
        if not isinstance(entry, Mapping):
            continue
        algorithm = _key_algorithm(entry)
        kid = entry.get("kid")
        if algorithm is None or not isinstance(kid, str | None):
            continue
        public = {name: entry[name] for name in _PUBLIC_MEMBERS[entry["kty"]] if name in entry}
        try:
            jwk = jwt.PyJWK(public, algorithm)
        except jwt.PyJWTError:
            continue
        if jwk.Algorithm.check_key_length(jwk.key) is not None:
            continue
        keys.append(VerificationKey(kid=kid, algorithm=algorithm, jwk=jwk))
    return keys


def select_key(keys: Sequence[VerificationKey], header: TokenHeader) -> VerificationKey | None:
    """The key a token names; a token without ``kid`` only when there is no choice to make."""
    candidates = [key for key in keys if key.algorithm == header.algorithm]
    if header.kid is None:
        return candidates[0] if len(candidates) == 1 else None
    return next((key for key in candidates if key.kid == header.kid), None)


_MISSING_CLAIM_REASONS: dict[str, TokenErrorReason] = {
    "iss": "bad_issuer",
    "aud": "bad_audience",
}


def _reason_for(exc: jwt.PyJWTError) -> TokenErrorReason:
    # InvalidSignatureError subclasses DecodeError, so order matters.
    if isinstance(exc, jwt.InvalidSignatureError):
        return "bad_signature"
    if isinstance(exc, jwt.InvalidAlgorithmError):
        return "unsupported_alg"
    if isinstance(exc, jwt.InvalidIssuerError):
        return "bad_issuer"
    if isinstance(exc, jwt.InvalidAudienceError):
        return "bad_audience"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return _MISSING_CLAIM_REASONS.get(exc.claim, "malformed")
    return "malformed"


def decode_with_key(
    token: str,
    key: VerificationKey,
    *,
    issuer: str,
    audience: str,
    leeway: float,
    now: float,
    max_lifetime: float = DEFAULT_MAX_LIFETIME_SECONDS,
) -> dict[str, Any]:
    """Check a token's signature and claims against one key; the single place every
    verifier goes through, so they all accept and refuse exactly the same tokens.

    Lifetime is checked here rather than by PyJWT so that it follows the caller's clock.
    An ES256 signature must be in its low-S form (see
    :mod:`~vmeste.platform.identity.signatures`); that is checked once the signature is
    known to be genuine, so a forgery is reported as a bad signature.
    """
    try:
        claims = jwt.decode(
            token,
            key.jwk,
            algorithms=[key.algorithm],
            issuer=issuer,
            audience=audience,
            options={
                "require": ["iss", "aud", "sub"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise TokenError(reason=_reason_for(exc)) from exc
    if key.algorithm == "ES256":
        require_low_s(token)
    check_lifetime(claims, now=now, leeway=leeway, max_lifetime=max_lifetime)
    if not claims["sub"]:
        raise TokenError(reason="malformed")
    return claims


def _within(now: float, since: float | None, seconds: float) -> bool:
    """Whether ``now`` is less than ``seconds`` after ``since``; a clock that went
    backwards counts as having passed, so a clock step cannot freeze the cache."""
    return since is not None and 0 <= now - since < seconds


class JWKSVerifier:
    """Verifies tokens of one OIDC issuer against the keys it publishes.

    Keys are cached for ``cache_seconds``. A token naming a key we do not have triggers
    a refetch (that is how key rotation reaches us), but no more than once per
    :data:`REFETCH_INTERVAL_SECONDS`. Fetches are serialized by a lock, so a burst of
    requests on a cold cache makes one request to the provider. If the provider is
    unreachable, keys from an expired cache are still used: an outage of the JWKS
    endpoint should not log everybody out.

    The lock binds to the event loop that first waits on it: use one verifier per loop.
    """

    def __init__(
        self,
        *,
        issuer: str,
        jwks_url: str,
        audience: str,
        transport: httpx.AsyncBaseTransport | None = None,
        cache_seconds: float = 300,
        leeway_seconds: int = DEFAULT_LEEWAY_SECONDS,
        max_lifetime_seconds: float = DEFAULT_MAX_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.audience = audience
        self._transport = transport
        self._cache_seconds = cache_seconds
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self._keys: list[VerificationKey] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._last_fetch_failed = False

    async def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, once its signature, issuer, audience and lifetime check out."""
        header = read_header(token)
        key = await self._key_for(header)
        return decode_with_key(
            token,
            key,
            issuer=self.issuer,
            audience=self.audience,
            leeway=self._leeway,
            now=self._clock(),
            max_lifetime=self._max_lifetime,
        )

    async def _key_for(self, header: TokenHeader) -> VerificationKey:
        if _within(self._clock(), self._fetched_at, self._cache_seconds):
            key = select_key(self._keys, header)
            if key is not None:
                return key
        async with self._lock:
            # Whoever held the lock before us may have fetched exactly what we need.
            now = self._clock()
            key = select_key(self._keys, header)
            if key is not None and _within(now, self._fetched_at, self._cache_seconds):
                return key
            if not _within(now, self._attempted_at, REFETCH_INTERVAL_SECONDS):
                await self._refresh(now)
                key = select_key(self._keys, header)
            if key is not None:
                return key
            raise TokenError(
                reason="jwks_unavailable" if self._last_fetch_failed else "unknown_key"
            )

    async def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            async with httpx.AsyncClient(
                transport=self._transport, timeout=FETCH_TIMEOUT_SECONDS
            ) as client:
                response = await client.get(self.jwks_url, headers={"Accept": "application/json"})
                response.raise_for_status()
                keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            self._last_fetch_failed = True
            logger.warning("fetching JWKS from %s failed: %r", self.jwks_url, exc)
            return
        if not keys:
            logger.warning("JWKS at %s has no usable RS256 or ES256 keys", self.jwks_url)
        self._keys = keys
        self._fetched_at = now
        self._last_fetch_failed = False
