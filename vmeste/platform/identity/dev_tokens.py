"""Ready-to-use tokens for development: a user, the asked role, and a signed token.

Refuses outside dev mode: in production, users come only from the real identity
provider and roles only from administrators.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal, get_args

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.dev_issuer import DEFAULT_TTL, DEV_ISSUER, dev_issuer
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.identity.services import AssignmentInput, assign_role, upsert_user
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.reference.demo import COUNTRY_CODE
from vmeste.platform.reference.models import Organization, Territory, TerritoryKind
from vmeste.platform.reference.validators import ogrn_problem
from vmeste.platform.settings import Settings

#: Dev and demo users' mail goes to a reserved domain (RFC 2606): a local mailbox shows
#: it, and nothing can leave for a real address.
DEMO_MAIL_DOMAIN = "demo.vmeste.localhost"
Gender = Literal["male", "female"]
GENDERS: tuple[Gender, ...] = get_args(Gender)


@dataclass(frozen=True)
class DevProfile:
    """What a dev token says about the person, as ESIA would. With ``complete`` (the demo's
    and ``vmeste token``'s tokens), an empty ``email`` becomes
    ``<subject>@demo.vmeste.localhost`` and an empty ``address_oktmo`` the token's
    territory; without it they stay empty, as tests of "no address" need.
    ``legal_entity_ogrn`` makes the holder a legal entity's representative."""

    complete: bool = False
    email: str = ""
    birthdate: date = date(1990, 1, 1)
    gender: Gender = "male"
    address_oktmo: str = ""
    verified: bool = True
    legal_entity_ogrn: str = ""
    legal_entity_name: str = ""


def dev_claims(subject: str, role: Role, email: str = "",
               profile: DevProfile | None = None) -> dict[str, object]:
    """ESIA-shaped claims, so dev users go through the same claim mapping as real ones."""
    profile = profile or DevProfile()
    claims: dict[str, object] = {
        "email": email or profile.email,
        "iss": DEV_ISSUER,
        "sub": subject,
        "family_name": "Тестов",
        "given_name": role.value.replace("_", " ").title(),
        "middle_name": "Демович",
        "birthdate": profile.birthdate.isoformat(),
        "gender": profile.gender,
        "verified": profile.verified,
        "address": {"oktmo": profile.address_oktmo},
    }
    if profile.legal_entity_ogrn:
        claims["org"] = {"ogrn": profile.legal_entity_ogrn, "name": profile.legal_entity_name,
                         "authority": "representative"}
    return claims


async def _address_oktmo(profile: DevProfile, territory_code: str | None,
                         organization_ogrn: str | None) -> str:
    """The asked ОКТМО if it is a known territory; else, for a complete profile, the
    token's own territory (a country has no ОКТМО), the organization's, or the first
    municipality loaded."""
    if profile.address_oktmo:
        if not await Territory.exists(code=profile.address_oktmo):
            raise DomainError.of("addressOktmo", _("Territory not found"), ErrorCode.NOT_FOUND)
        return profile.address_oktmo
    if not profile.complete:
        return ""
    scoped = Territory.filter(kind__not=TerritoryKind.COUNTRY)
    if territory_code and await scoped.filter(code=territory_code).exists():
        return territory_code
    if organization_ogrn:
        found = await Organization.filter(ogrn=organization_ogrn).values_list(
            "territory__code", "territory__kind")
        if found and found[0][1] != TerritoryKind.COUNTRY:
            return str(found[0][0])
    first = await Territory.filter(kind=TerritoryKind.MUNICIPALITY).order_by("code").first()
    return first.code if first else ""


async def _legal_entity_name(ogrn: str) -> str:
    if problem := ogrn_problem(ogrn):
        raise DomainError.of("legalEntityOgrn", problem)
    known = await Organization.filter(ogrn=ogrn).values_list("name", flat=True)
    return known[0] if known else f"Тестовое юридическое лицо (ОГРН {ogrn})"


def dev_subject(role: Role, organization_ogrn: str | None = None,
                territory_code: str | None = None) -> str:
    """The subject of the dev user :func:`issue_dev_token` makes for ``role`` in that
    scope when it is given none, so a caller can reach the same user again."""
    territory_code = _territory_of(role, territory_code)
    return f"dev-{role.value}-{organization_ogrn or territory_code or 'any'}"


def _territory_of(role: Role, territory_code: str | None) -> str | None:
    """A configurator asked for without a territory configures the whole country, as
    the demo's does."""
    if role == Role.FEDERAL_CONFIGURATOR and not territory_code:
        return COUNTRY_CODE
    return territory_code


async def issue_dev_token(
    settings: Settings,
    role: Role,
    *,
    organization_ogrn: str | None = None,
    territory_code: str | None = None,
    subject: str | None = None,
    email: str = "",
    profile: DevProfile | None = None,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A token for a user holding ``role``; its lifetime is cut to
    ``VMESTE_AUTH_MAX_TOKEN_LIFETIME``, so the platform never mints what it would refuse."""
    if not settings.dev_mode:
        raise DomainError.of(None, _("Test tokens are issued only with VMESTE_DEV_MODE=1"),
                             ErrorCode.FORBIDDEN)
    territory_code = _territory_of(role, territory_code)
    profile = profile or DevProfile()
    subject = subject or dev_subject(role, organization_ogrn, territory_code)
    demo_mail = f"{subject}@{DEMO_MAIL_DOMAIN}" if profile.complete else ""
    profile = replace(
        profile, email=email or profile.email or demo_mail,
        address_oktmo=await _address_oktmo(profile, territory_code, organization_ogrn))
    if profile.legal_entity_ogrn:
        name = await _legal_entity_name(profile.legal_entity_ogrn)
        profile = replace(profile, legal_entity_name=profile.legal_entity_name or name)
    claims = dev_claims(subject, role, profile=profile)
    user = await upsert_user(claims_to_identity(claims))
    if role != Role.CITIZEN:
        await assign_role(
            SYSTEM,
            AssignmentInput(user_issuer=user.issuer, user_subject=user.subject, role=role,
                            organization_ogrn=organization_ogrn, territory_code=territory_code),
        )
    ttl = min(ttl, timedelta(seconds=settings.auth_max_token_lifetime_seconds))
    token: str = dev_issuer(settings.data_dir).sign(claims, audience=settings.oidc_audience,
                                                    ttl=ttl)
    return token
