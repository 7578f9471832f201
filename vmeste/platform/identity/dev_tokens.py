"""Ready-to-use tokens for development: a user, the asked role, and a signed token.

Refuses outside dev mode: in production, users come only from the real identity
provider and roles only from administrators.
"""

from __future__ import annotations

from datetime import timedelta

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.identity.dev_issuer import DEFAULT_TTL, DEV_ISSUER
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.identity.services import AssignmentInput, assign_role, upsert_user
from vmeste.platform.identity.tokens import claims_to_identity
from vmeste.platform.settings import Settings
from vmeste.plugins.identity_dev import dev_issuer


def dev_claims(subject: str, role: Role, email: str = "") -> dict[str, object]:
    return {
        "email": email,
        "iss": DEV_ISSUER,
        "sub": subject,
        "family_name": "Тестов",
        "given_name": role.value.replace("_", " ").title(),
        "middle_name": "Демович",
        "birthdate": "1990-01-01",
        "gender": "male",
        "verified": True,
        "address": {"oktmo": ""},
    }


async def issue_dev_token(
    settings: Settings,
    role: Role,
    *,
    organization_ogrn: str | None = None,
    territory_code: str | None = None,
    subject: str | None = None,
    email: str = "",
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """A token for a user holding ``role``; its lifetime is cut to
    ``VMESTE_AUTH_MAX_TOKEN_LIFETIME``, so the platform never mints what it would refuse."""
    if not settings.dev_mode:
        raise DomainError.of(None, "Тестовые токены выдаются только при VMESTE_DEV_MODE=1",
                             ErrorCode.FORBIDDEN)
    scope = organization_ogrn or territory_code or "any"
    subject = subject or f"dev-{role.value}-{scope}"
    claims = dev_claims(subject, role, email)
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
