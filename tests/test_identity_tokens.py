from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.warnings import InsecureKeyLengthWarning

from vmeste.platform.identity.dev_issuer import DEV_ISSUER, KEY_FILENAME, DevIssuer
from vmeste.platform.identity.models import UserKind
from vmeste.platform.identity.signatures import P256_ORDER, to_low_s
from vmeste.platform.identity.tokens import (
    IdentityClaims,
    JWKSVerifier,
    TokenError,
    claims_to_identity,
    peek_issuer,
)

ISSUER = "https://esia.example.ru/"
AUDIENCE = "vmeste"
JWKS_URL = "https://esia.example.ru/jwks"
NOW = 1_800_000_000.0

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: PrivateKey, kid: str | None) -> dict[str, Any]:
    if isinstance(key, rsa.RSAPrivateKey):
        jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def make_token(key: PrivateKey | str, algorithm: str, kid: str | None = None, **claims: Any) -> str:
    """A token with sensible claims; pass a claim as None to leave it out."""
    defaults = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "1000123456",
        "iat": int(NOW),
        "exp": int(NOW) + 600,
    }
    payload = {name: value for name, value in {**defaults, **claims}.items() if value is not None}
    headers = {"kid": kid} if kid is not None else None
    token = jwt.encode(payload, key, algorithm=algorithm, headers=headers)
    # A conforming provider signs in low-S form; cryptography picks either at random.
    return to_low_s(token) if algorithm == "ES256" else token


def b64_json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


@dataclass
class FakeIdP:
    """A JWKS endpoint whose key set the test can change, counting the fetches."""

    document: dict[str, Any]
    requests: int = 0
    delay: float = 0.0
    failing: bool = False
    urls: list[str] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.urls.append(str(request.url))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json=self.document)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def verifier_for(idp: FakeIdP, clock: Clock | None = None, **options: Any) -> JWKSVerifier:
    return JWKSVerifier(
        issuer=ISSUER,
        jwks_url=JWKS_URL,
        audience=AUDIENCE,
        transport=idp.transport(),
        clock=clock or Clock(),
        **options,
    )


async def refused(verifier: JWKSVerifier, token: str) -> TokenError:
    with pytest.raises(TokenError) as caught:
        await verifier.verify(token)
    return caught.value


# --- JWKSVerifier: accepting -------------------------------------------------------------


@pytest.mark.parametrize(("key_name", "algorithm"), [("rsa_key", "RS256"), ("ec_key", "ES256")])
async def test_verifies_token_against_served_jwks(
    request: pytest.FixtureRequest, key_name: str, algorithm: str
) -> None:
    key = request.getfixturevalue(key_name)
    idp = FakeIdP({"keys": [public_jwk(key, "k1")]})
    claims = await verifier_for(idp).verify(make_token(key, algorithm, "k1", email="a@b.ru"))
    assert claims["sub"] == "1000123456"
    assert claims["email"] == "a@b.ru"
    assert idp.urls == [JWKS_URL]


async def test_picks_the_named_key_among_several(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    idp = FakeIdP({"keys": [public_jwk(rsa_key, "rsa"), public_jwk(ec_key, "ec")]})
    verifier = verifier_for(idp)
    assert (await verifier.verify(make_token(ec_key, "ES256", "ec")))["iss"] == ISSUER
    assert (await verifier.verify(make_token(rsa_key, "RS256", "rsa")))["iss"] == ISSUER
    assert idp.requests == 1


async def test_audience_list_containing_ours_is_accepted(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    token = make_token(ec_key, "ES256", "k1", aud=["other-app", AUDIENCE])
    assert (await verifier_for(idp).verify(token))["aud"] == ["other-app", AUDIENCE]


@pytest.fixture
def jwks_http_server() -> Iterator[tuple[str, dict[str, Any]]]:
    document: dict[str, Any] = {"keys": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks", document
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_verifies_against_jwks_over_real_http(
    jwks_http_server: tuple[str, dict[str, Any]],
    rsa_key: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    url, document = jwks_http_server
    document["keys"] = [public_jwk(rsa_key, "live")]
    verifier = JWKSVerifier(issuer=ISSUER, jwks_url=url, audience=AUDIENCE, clock=Clock())
    assert (await verifier.verify(make_token(rsa_key, "RS256", "live")))["sub"] == "1000123456"


async def test_token_without_kid_uses_the_only_matching_key(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    idp = FakeIdP({"keys": [public_jwk(rsa_key, "rsa"), public_jwk(ec_key, "ec")]})
    verifier = verifier_for(idp)
    assert (await verifier.verify(make_token(ec_key, "ES256")))["sub"] == "1000123456"


async def test_token_without_kid_is_refused_when_keys_are_ambiguous(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    idp = FakeIdP({"keys": [public_jwk(ec_key, "a"), public_jwk(other, "b")]})
    assert (await refused(verifier_for(idp), make_token(ec_key, "ES256"))).reason == "unknown_key"


async def test_expiry_within_leeway_is_tolerated(ec_key: ec.EllipticCurvePrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    verifier = verifier_for(idp, Clock(NOW + 620), leeway_seconds=30)
    assert (await verifier.verify(make_token(ec_key, "ES256", "k1")))["sub"] == "1000123456"


# --- JWKSVerifier: refusing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"iss": "https://evil.example/"}, "bad_issuer"),
        ({"iss": None}, "bad_issuer"),
        ({"aud": "another-app"}, "bad_audience"),
        ({"aud": None}, "bad_audience"),
        ({"exp": int(NOW) - 31}, "expired"),
        ({"exp": None}, "malformed"),
        ({"exp": "tomorrow"}, "malformed"),
        ({"nbf": int(NOW) + 300}, "not_yet_valid"),
        ({"iat": int(NOW) + 300}, "not_yet_valid"),
        ({"sub": None}, "malformed"),
        ({"sub": ""}, "malformed"),
        ({"sub": 42}, "malformed"),
    ],
)
async def test_bad_claims_are_refused(
    ec_key: ec.EllipticCurvePrivateKey, claims: dict[str, Any], reason: str
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    error = await refused(verifier_for(idp), make_token(ec_key, "ES256", "k1", **claims))
    assert error.reason == reason
    assert error.message and "eyJ" not in error.message


async def test_non_finite_expiry_is_refused(ec_key: ec.EllipticCurvePrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    token = make_token(ec_key, "ES256", "k1", exp=float("inf"))
    assert (await refused(verifier_for(idp), token)).reason == "malformed"


async def test_signature_by_another_key_with_same_kid_is_refused(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    forger = ec.generate_private_key(ec.SECP256R1())
    error = await refused(verifier_for(idp), make_token(forger, "ES256", "k1"))
    assert error.reason == "bad_signature"


async def test_tampered_payload_is_refused(rsa_key: rsa.RSAPrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(rsa_key, "k1")]})
    header, _, signature = make_token(rsa_key, "RS256", "k1").split(".")
    forged_claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "someone-else", "exp": int(NOW) + 60}
    error = await refused(verifier_for(idp), f"{header}.{b64_json(forged_claims)}.{signature}")
    assert error.reason == "bad_signature"


async def test_alg_none_is_refused_without_fetching_keys(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    token = make_token("", "none", "k1")
    assert (await refused(verifier_for(idp), token)).reason == "unsupported_alg"
    assert idp.requests == 0


async def test_hs256_is_refused_without_fetching_keys(rsa_key: rsa.RSAPrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(rsa_key, "k1")]})
    token = make_token("a-shared-secret-of-at-least-32-bytes!", "HS256", "k1")
    assert (await refused(verifier_for(idp), token)).reason == "unsupported_alg"
    assert idp.requests == 0


async def test_algorithm_is_fixed_by_the_key_not_the_token(
    rsa_key: rsa.RSAPrivateKey, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # The EC-signed token names the RSA key: it must not be tried with any key at all.
    idp = FakeIdP({"keys": [public_jwk(rsa_key, "rsa")]})
    error = await refused(verifier_for(idp), make_token(ec_key, "ES256", "rsa"))
    assert error.reason == "unknown_key"


async def test_garbage_is_malformed(ec_key: ec.EllipticCurvePrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    for token in ("", "not-a-token", "a.b.c"):
        assert (await refused(verifier_for(idp), token)).reason == "malformed"
    assert idp.requests == 0


async def test_unusable_jwks_entries_are_ignored(ec_key: ec.EllipticCurvePrivateKey) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.warns(InsecureKeyLengthWarning):
        weak_token = make_token(weak, "RS256", "weak")
    idp = FakeIdP(
        {
            "keys": [
                public_jwk(weak, "weak"),
                {**public_jwk(ec_key, "enc"), "use": "enc"},
                {"kty": "oct", "kid": "secret", "k": "c2VjcmV0"},
                "junk",
                public_jwk(ec_key, "k1"),
            ]
        }
    )
    verifier = verifier_for(idp)
    assert (await verifier.verify(make_token(ec_key, "ES256", "k1")))["sub"] == "1000123456"
    assert (await refused(verifier, weak_token)).reason == "unknown_key"
    assert (await refused(verifier, make_token(ec_key, "ES256", "enc"))).reason == "unknown_key"


# --- JWKSVerifier: caching, rotation, outages --------------------------------------------


async def test_keys_are_cached_then_refreshed(ec_key: ec.EllipticCurvePrivateKey) -> None:
    clock = Clock()
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    verifier = verifier_for(idp, clock, cache_seconds=300)
    token = make_token(ec_key, "ES256", "k1", exp=int(NOW) + 3600)
    await verifier.verify(token)
    clock.now += 299
    await verifier.verify(token)
    assert idp.requests == 1
    clock.now += 2
    await verifier.verify(token)
    assert idp.requests == 2


async def test_unknown_kid_refetches_once_per_interval(ec_key: ec.EllipticCurvePrivateKey) -> None:
    clock = Clock()
    rotated = ec.generate_private_key(ec.SECP256R1())
    idp = FakeIdP({"keys": [public_jwk(ec_key, "old")]})
    verifier = verifier_for(idp, clock)
    await verifier.verify(make_token(ec_key, "ES256", "old"))
    assert idp.requests == 1

    idp.document = {"keys": [public_jwk(ec_key, "old"), public_jwk(rotated, "new")]}
    clock.now += 11
    assert (await verifier.verify(make_token(rotated, "ES256", "new")))["sub"] == "1000123456"
    assert idp.requests == 2

    clock.now += 5
    for bogus in ("bogus-1", "bogus-2", "bogus-3"):
        error = await refused(verifier, make_token(rotated, "ES256", bogus))
        assert error.reason == "unknown_key"
    assert idp.requests == 2

    clock.now += 10
    error = await refused(verifier, make_token(rotated, "ES256", "bogus-4"))
    assert error.reason == "unknown_key"
    assert idp.requests == 3


async def test_concurrent_verifications_fetch_once(ec_key: ec.EllipticCurvePrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]}, delay=0.05)
    verifier = verifier_for(idp)
    token = make_token(ec_key, "ES256", "k1")
    results = await asyncio.gather(*(verifier.verify(token) for _ in range(20)))
    assert all(claims["sub"] == "1000123456" for claims in results)
    assert idp.requests == 1


async def test_unreachable_jwks_is_reported(ec_key: ec.EllipticCurvePrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]}, failing=True)
    error = await refused(verifier_for(idp), make_token(ec_key, "ES256", "k1"))
    assert error.reason == "jwks_unavailable"


async def test_jwks_error_status_is_reported(ec_key: ec.EllipticCurvePrivateKey) -> None:
    verifier = JWKSVerifier(
        issuer=ISSUER,
        jwks_url=JWKS_URL,
        audience=AUDIENCE,
        transport=httpx.MockTransport(lambda request: httpx.Response(503, text="down")),
        clock=Clock(),
    )
    error = await refused(verifier, make_token(ec_key, "ES256", "k1"))
    assert error.reason == "jwks_unavailable"


async def test_cached_keys_outlive_an_outage(ec_key: ec.EllipticCurvePrivateKey) -> None:
    clock = Clock()
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    verifier = verifier_for(idp, clock, cache_seconds=60)
    token = make_token(ec_key, "ES256", "k1", exp=int(NOW) + 3600)
    await verifier.verify(token)

    idp.failing = True
    clock.now += 120
    assert (await verifier.verify(token))["sub"] == "1000123456"
    assert idp.requests == 2
    unknown = make_token(ec_key, "ES256", "k2", exp=int(NOW) + 3600)
    assert (await refused(verifier, unknown)).reason == "jwks_unavailable"
    assert idp.requests == 2


# --- peek_issuer ---------------------------------------------------------------------------


def test_peek_issuer_reads_without_verifying() -> None:
    forged = make_token("", "none", iss="https://anyone.example/")
    assert peek_issuer(forged) == "https://anyone.example/"
    assert peek_issuer("garbage") is None
    assert peek_issuer(f"{b64_json({'alg': 'none'})}.{b64_json({'iss': 42})}.") is None


# --- claims_to_identity ------------------------------------------------------------------


def test_person_with_all_claims() -> None:
    identity = claims_to_identity(
        {
            "iss": ISSUER,
            "sub": "1000123456",
            "family_name": "Иванова",
            "given_name": "Мария",
            "middle_name": "Петровна",
            "birthdate": "1990-04-12",
            "gender": "female",
            "email": "maria@example.ru",
            "phone_number": "+79001234567",
            "address": {"oktmo": "45382000", "fias": "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"},
            "verified": True,
        }
    )
    assert identity == IdentityClaims(
        issuer=ISSUER,
        subject="1000123456",
        kind=UserKind.PERSON,
        last_name="Иванова",
        first_name="Мария",
        middle_name="Петровна",
        birth_date=date(1990, 4, 12),
        gender="female",
        email="maria@example.ru",
        phone="+79001234567",
        address_oktmo="45382000",
        address_fias="0c5b2444-70a0-4932-980c-b4dc0d3f02b5",
        verified=True,
    )


def test_legal_entity_with_org() -> None:
    identity = claims_to_identity(
        {
            "iss": ISSUER,
            "sub": "1000999",
            "family_name": "Петров",
            "trusted": True,
            "org": {"ogrn": "1027700132195", "name": "ПАО «Пример»", "authority": "director"},
        }
    )
    assert identity.kind is UserKind.LEGAL
    assert (identity.org_ogrn, identity.org_name, identity.org_authority) == (
        "1027700132195",
        "ПАО «Пример»",
        "director",
    )
    assert identity.verified is True


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-04-12", date(1990, 4, 12)),
        ("12.04.1990", date(1990, 4, 12)),
        ("31.02.1990", None),
        ("1990/04/12", None),
        ("", None),
        (19900412, None),
    ],
)
def test_birthdate_formats(raw: object, expected: date | None) -> None:
    assert claims_to_identity({"iss": ISSUER, "sub": "1", "birthdate": raw}).birth_date == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("male", "male"),
        ("M", "male"),
        ("м", "male"),
        ("Ж", "female"),
        ("f", "female"),
        ("other", ""),
        (None, ""),
    ],
)
def test_gender_spellings(raw: object, expected: str) -> None:
    assert claims_to_identity({"iss": ISSUER, "sub": "1", "gender": raw}).gender == expected


def test_minimal_claims_take_defaults() -> None:
    identity = claims_to_identity(
        {"iss": ISSUER, "sub": "1", "verified": "yes", "address": "Москва", "org": {}}
    )
    assert identity == IdentityClaims(issuer=ISSUER, subject="1")


@pytest.mark.parametrize("claims", [{"iss": ISSUER}, {"iss": ISSUER, "sub": ""}, {"sub": "1"}])
def test_identity_needs_issuer_and_subject(claims: dict[str, Any]) -> None:
    with pytest.raises(TokenError) as caught:
        claims_to_identity(claims)
    assert caught.value.reason == "malformed"


# --- DevIssuer -----------------------------------------------------------------------------


def test_dev_key_is_private_and_reused(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    first = DevIssuer(data_dir)
    key_file = data_dir / KEY_FILENAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in data_dir.iterdir()) == [KEY_FILENAME]
    second = DevIssuer(data_dir)
    assert second.kid == first.kid
    token = first.sign({"sub": "dev-1"}, audience=AUDIENCE)
    assert second.verify(token, audience=AUDIENCE)["sub"] == "dev-1"


def test_dev_kid_is_the_rfc7638_thumbprint(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path)
    (jwk,) = issuer.jwks()["keys"]
    assert "d" not in jwk
    assert (jwk["kid"], jwk["alg"], jwk["use"]) == (issuer.kid, "ES256", "sig")
    x, y = jwk["x"], jwk["y"]
    canonical = f'{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}'
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest())
    assert issuer.kid == expected.rstrip(b"=").decode()


def test_concurrent_creation_agrees_on_one_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        kids = set(pool.map(lambda _: DevIssuer(tmp_path).kid, range(16)))
    assert len(kids) == 1
    assert DevIssuer(tmp_path).kid in kids
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILENAME]


def test_dev_token_carries_issuer_audience_and_lifetime(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path)
    now = datetime.now(UTC)
    token = issuer.sign(
        {"sub": "dev-1", "iss": "forged"}, audience=AUDIENCE, ttl=timedelta(hours=1), now=now
    )
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": issuer.kid, "typ": "JWT"}
    claims = issuer.verify(token, audience=AUDIENCE)
    assert claims["iss"] == DEV_ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["exp"] - claims["iat"] == 3600


def test_dev_token_is_refused_like_any_other(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path / "a")
    stranger = DevIssuer(tmp_path / "b")
    foreign = stranger.sign({"sub": "dev-1"}, audience=AUDIENCE)
    stale = issuer.sign(
        {"sub": "dev-1"}, audience=AUDIENCE, now=datetime.now(UTC) - timedelta(days=1)
    )
    cases = [
        (foreign, AUDIENCE, "unknown_key"),
        (issuer.sign({"sub": "dev-1"}, audience="other"), AUDIENCE, "bad_audience"),
        (stale, AUDIENCE, "expired"),
        (make_token("", "none", issuer.kid, iss=DEV_ISSUER), AUDIENCE, "unsupported_alg"),
    ]
    for token, audience, reason in cases:
        with pytest.raises(TokenError) as caught:
            issuer.verify(token, audience=audience)
        assert caught.value.reason == reason


def test_dev_issuer_needs_a_subject(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sub"):
        DevIssuer(tmp_path).sign({"email": "x@example.ru"}, audience=AUDIENCE)


async def test_dev_tokens_verify_through_the_published_jwks(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path)
    verifier = JWKSVerifier(
        issuer=DEV_ISSUER,
        jwks_url="http://localhost/.well-known/jwks.json",
        audience=AUDIENCE,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=issuer.jwks())),
    )
    claims = await verifier.verify(issuer.sign({"sub": "dev-1"}, audience=AUDIENCE))
    assert claims["sub"] == "dev-1"


# --- lifetime cap ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"iat": int(NOW), "exp": int(NOW) + 3600}, True),
        ({"iat": int(NOW), "exp": int(NOW) + 3601}, False),
        # Issued long ago, still valid: the lifetime counts, not the time left.
        ({"iat": int(NOW) - 3000, "exp": int(NOW) + 1000}, False),
        ({"iat": None, "exp": int(NOW) + 3600}, True),
        ({"iat": None, "exp": int(NOW) + 3600 + 31}, False),
    ],
)
async def test_lifetime_over_the_cap_is_refused(
    ec_key: ec.EllipticCurvePrivateKey, claims: dict[str, Any], accepted: bool
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    verifier = verifier_for(idp, max_lifetime_seconds=3600)
    token = make_token(ec_key, "ES256", "k1", **claims)
    if accepted:
        assert (await verifier.verify(token))["sub"] == "1000123456"
    else:
        error = await refused(verifier, token)
        assert error.reason == "lifetime_too_long"
        assert error.message == "Срок действия токена больше допустимого"


async def test_default_cap_is_one_day(rsa_key: rsa.RSAPrivateKey) -> None:
    idp = FakeIdP({"keys": [public_jwk(rsa_key, "r")]})
    day = make_token(rsa_key, "RS256", "r", exp=int(NOW) + 86_400)
    month = make_token(rsa_key, "RS256", "r", exp=int(NOW) + 30 * 86_400)
    assert (await verifier_for(idp).verify(day))["sub"] == "1000123456"
    assert (await refused(verifier_for(idp), month)).reason == "lifetime_too_long"


# --- ECDSA malleability ------------------------------------------------------------------


def _s_of(token: str) -> int:
    segment = token.rsplit(".", 1)[1]
    return int.from_bytes(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))[32:],
                          "big")


def _malleate(token: str) -> str:
    """The other valid encoding of the same ES256 signature: (r, n − s)."""
    head, segment = token.rsplit(".", 1)
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    s = int.from_bytes(raw[32:], "big")
    twin = raw[:32] + (P256_ORDER - s).to_bytes(32, "big")
    return f"{head}.{base64.urlsafe_b64encode(twin).rstrip(b'=').decode()}"


async def test_high_s_twin_of_a_valid_signature_is_refused(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    token = make_token(ec_key, "ES256", "k1")
    twin = _malleate(token)
    assert _s_of(twin) > P256_ORDER // 2
    # The twin really is a valid signature, which is why it must be refused by form.
    assert jwt.decode(twin, ec_key.public_key(), algorithms=["ES256"], audience=AUDIENCE,
                      options={"verify_exp": False, "verify_iat": False})["sub"] == "1000123456"
    assert (await verifier_for(idp).verify(token))["sub"] == "1000123456"
    error = await refused(verifier_for(idp), twin)
    assert error.reason == "malleable_signature"


async def test_forged_high_s_signature_is_a_bad_signature(
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    idp = FakeIdP({"keys": [public_jwk(ec_key, "k1")]})
    forger = ec.generate_private_key(ec.SECP256R1())
    forged = _malleate(make_token(forger, "ES256", "k1"))
    assert (await refused(verifier_for(idp), forged)).reason == "bad_signature"


def test_dev_issuer_signs_only_low_s_and_refuses_the_twin(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path)
    tokens = [issuer.sign({"sub": f"dev-{n}"}, audience=AUDIENCE) for n in range(40)]
    assert all(_s_of(token) <= P256_ORDER // 2 for token in tokens)
    with pytest.raises(TokenError) as caught:
        issuer.verify(_malleate(tokens[0]), audience=AUDIENCE)
    assert caught.value.reason == "malleable_signature"


def test_dev_issuer_applies_the_lifetime_cap(tmp_path: Path) -> None:
    issuer = DevIssuer(tmp_path)
    token = issuer.sign({"sub": "dev-1"}, audience=AUDIENCE, ttl=timedelta(hours=2))
    assert issuer.verify(token, audience=AUDIENCE)["sub"] == "dev-1"
    with pytest.raises(TokenError) as caught:
        issuer.verify(token, audience=AUDIENCE, max_lifetime=3600)
    assert caught.value.reason == "lifetime_too_long"


async def test_vmeste_token_stays_within_the_configured_cap(db: Any) -> None:
    from dataclasses import replace

    from vmeste.platform.identity.dev_tokens import issue_dev_token
    from vmeste.platform.identity.models import Role
    from vmeste.platform.identity.principal import ANONYMOUS
    from vmeste.platform.runtime import build_runtime

    settings = replace(db, auth_max_token_lifetime_seconds=1800)
    token = await issue_dev_token(settings, Role.CITIZEN, subject="capped")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1800
    principal = await build_runtime(settings).authenticate(token)
    assert principal is not ANONYMOUS and principal.user is not None
    default = await issue_dev_token(db, Role.CITIZEN, subject="default")
    claims = jwt.decode(default, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 12 * 3600
