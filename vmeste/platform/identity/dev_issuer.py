"""The built-in identity provider for development.

``vmeste token`` and ``vmeste demo`` need signed tokens without an ESIA account, so the
platform can mint its own. Those tokens say whatever the person at the keyboard wants
them to say, so they must be accepted only in dev mode: this module does not check the
mode itself, every caller (the CLI commands and the request authenticator) must.

The signing key lives in the data directory so that tokens survive a restart and every
process of one installation (server, worker, CLI) agrees on it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from jwt.algorithms import ECAlgorithm

from vmeste.platform.identity.lifetime import DEFAULT_MAX_LIFETIME_SECONDS
from vmeste.platform.identity.signatures import to_low_s
from vmeste.platform.identity.tokens import (
    DEFAULT_LEEWAY_SECONDS,
    TokenError,
    decode_with_key,
    parse_jwks,
    read_header,
    select_key,
)

DEV_ISSUER = "vmeste-dev"
KEY_FILENAME = "dev-issuer-key.pem"
_ALGORITHM = "ES256"
#: Lifetime of a development token unless the caller asks for less.
DEFAULT_TTL = timedelta(hours=12)


def _create_key_file(path: Path) -> None:
    """Write a fresh key unless another process has already written one.

    The key is written to a private temporary file (``mkstemp`` creates it 0600) and
    then published with a hard link, which fails rather than overwrites when the name
    exists. Unlike a rename, this lets the first writer win: two processes starting
    together on a fresh data directory end up with the same key, and neither ever sees
    a half-written file.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"{path} does not hold an EC P-256 private key")
    return key


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members in lexicographic order, no spaces."""
    canonical = json.dumps(
        {name: public_jwk[name] for name in ("crv", "kty", "x", "y")},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class DevIssuer:
    """Signs and verifies development tokens with a key kept in ``data_dir``.

    The key id is the key's thumbprint, so a replaced key file can never be mistaken
    for the old one.
    """

    def __init__(self, data_dir: Path) -> None:
        self.key_path = data_dir / KEY_FILENAME
        if not self.key_path.exists():
            _create_key_file(self.key_path)
        self._private_key = _load_key(self.key_path)
        self._public_jwk: dict[str, Any] = ECAlgorithm.to_jwk(
            self._private_key.public_key(), as_dict=True
        )
        self.kid = _thumbprint(self._public_jwk)
        self._keys = parse_jwks(self.jwks())

    def jwks(self) -> dict[str, Any]:
        """The public key set, in the shape an OIDC provider publishes."""
        return {"keys": [{**self._public_jwk, "kid": self.kid, "alg": _ALGORITHM, "use": "sig"}]}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        audience: str,
        ttl: timedelta = DEFAULT_TTL,
        now: datetime | None = None,
    ) -> str:
        """A token carrying ``claims``; issuer, audience and lifetime are always ours."""
        if not claims.get("sub"):
            raise ValueError("a token needs a non-empty 'sub' claim")
        issued_at = now or datetime.now(UTC)
        payload = {
            **claims,
            "iss": DEV_ISSUER,
            "aud": audience,
            "iat": int(issued_at.timestamp()),
            "exp": int((issued_at + ttl).timestamp()),
        }
        return to_low_s(jwt.encode(
            payload, self._private_key, algorithm=_ALGORITHM, headers={"kid": self.kid}
        ))

    def verify(self, token: str, *, audience: str,
               max_lifetime: float = DEFAULT_MAX_LIFETIME_SECONDS) -> dict[str, Any]:
        """The token's claims, checked by the same rules as tokens from a real provider."""
        header = read_header(token)
        key = select_key(self._keys, header)
        if key is None:
            raise TokenError(reason="unknown_key")
        return decode_with_key(
            token,
            key,
            issuer=DEV_ISSUER,
            audience=audience,
            leeway=DEFAULT_LEEWAY_SECONDS,
            now=time.time(),
            max_lifetime=max_lifetime,
        )


@lru_cache(maxsize=4)
def dev_issuer(data_dir: Path) -> DevIssuer:
    """The issuer of a data folder, loaded once per process: the CLI signs with it and
    the ``identity_dev`` plugin verifies with it."""
    return DevIssuer(data_dir)
