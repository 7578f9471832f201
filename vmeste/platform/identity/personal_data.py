"""The profile's share of a citizen's data rights: the account row is kept (appeals,
participations and histories point at it) but closed and renamed, and a new sign-in
with the same identity makes a fresh account (docs/privacy.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.identity.models import RoleAssignment, User
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: The issuer of closed accounts (what tells one): no identity provider's, so nobody
#: signs in as one.
ERASED_ISSUER = "vmeste:erased"
PROFILE = ("issuer", "subject", "kind", "last_name", "first_name", "middle_name",
           "birth_date", "gender", "email", "phone", "address_oktmo", "address_fias",
           "verified", "org_ogrn", "org_name", "org_authority", "created_at", "last_seen_at")
#: What a closed account keeps of its profile: nothing that names or reaches the person.
BLANK: dict[str, Any] = {
    "last_name": "", "first_name": "", "middle_name": "", "birth_date": None, "gender": "",
    "email": "", "phone": "", "address_oktmo": "", "address_fias": "", "verified": False,
    "org_ogrn": "", "org_name": "", "org_authority": ""}


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    profile = records(await User.filter(id=user_id).values(*PROFILE))
    roles = records(await RoleAssignment.filter(user_id=user_id).values(
        "role", "organization__ogrn", "territory__code", "created_at"))
    return [{**row, "roles": roles} for row in profile]


async def _erase(erasure: Erasure) -> Outcome:
    changed = await User.filter(id=erasure.user_id).using_db(erasure.conn).update(
        **BLANK, issuer=ERASED_ISSUER, subject=erasure.pseudonym)
    return Outcome(pseudonymised=changed, notes=[
        "account closed: profile blanked, identity replaced by a pseudonym"])


PROFILE_DATA = PersonalData(
    section="profile", describes="Your account: the profile from your identity provider "
    "and the roles you hold.", export=_export, erase=_erase, order=1000)
