"""An appeal taken by phone, at a visit or from a letter: the applicant's details as
they gave them, and the code that lets them take the appeal into their account.

A caller often has no Gosuslugi (ESIA) account, or none they can name, so the operator
may file with the details alone. The applicant is then a user row of its own under the
``contact:operator`` issuer (no identity provider's, so nobody signs in as it), holding
only the e-mail and phone given: the notification channels reach them there, as they
reach any user. The submission's ``filed_on_behalf`` notice carries a claim code; the
operator also reads it from the appeal (to tell the caller, or print it on a visitor's
receipt or in the reply letter). A signed-in citizen enters it (``claimAppeal``,
:mod:`vmeste.platform.appeals.claims`) and the appeal becomes theirs.

The details are personal data: the responsible body's staff (and those of the bodies
above it) and the applicant see them in full, everyone else who may see the appeal
(moderators, auditors, the filing operator once the appeal left their body) masked.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.access import STAFF, subordinates_of
from vmeste.platform.appeals.desk_models import AppealClaim, AppealContact, ContactMode
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.services import EMAIL

#: The issuer of applicants known only by the details they gave an operator.
CONTACT_ISSUER = "contact:operator"
NAME_MAX, EMAIL_MAX, POSTAL_MAX = 300, 255, 500
#: Claim codes: no 0/O, 1/I/L, so a code read out on the phone is not misheard.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
#: At most 32 characters, the user table's phone column.
_PHONE = re.compile(r"^\+?[0-9(][0-9 ()\-]{4,30}$")


@dataclass(frozen=True)
class ContactDetails:
    mode: ContactMode
    name: str
    phone: str = ""
    email: str = ""
    postal_address: str = ""


def checked(details: ContactDetails) -> ContactDetails:
    """The details stripped, or every problem with them at once: a letter is answered
    by post, so it needs the postal address; a phone call, the number; an e-mail, the
    e-mail address."""
    name, phone = details.name.strip(), details.phone.strip()
    email, postal = details.email.strip(), details.postal_address.strip()
    errors: list[FieldError] = []

    def limit(field: str, value: str, most: int) -> None:
        if len(value) > most:
            errors.append(FieldError(f"contact.{field}", _("At most {limit} characters",
                                                           limit=most), ErrorCode.INVALID))

    if not name:
        errors.append(FieldError("contact.name", _("Write the applicant's name as given"),
                                 ErrorCode.REQUIRED))
    limit("name", name, NAME_MAX)
    limit("postalAddress", postal, POSTAL_MAX)
    if phone and not _PHONE.match(phone):
        errors.append(FieldError("contact.phone", _("A phone number has digits, and may have "
                                                    "+, spaces, dashes and brackets"),
                                 ErrorCode.INVALID))
    if email and (len(email) > EMAIL_MAX or not EMAIL.fullmatch(email)):
        errors.append(FieldError("contact.email", _("This is not an e-mail address"),
                                 ErrorCode.INVALID))
    needed = {ContactMode.LETTER: ("postalAddress", postal),
              ContactMode.PHONE: ("phone", phone),
              ContactMode.EMAIL: ("email", email)}.get(details.mode)
    if needed is not None and not needed[1]:
        errors.append(FieldError(f"contact.{needed[0]}", _("Give the contact the applicant "
                                                           "came through"), ErrorCode.REQUIRED))
    if errors:
        raise DomainError(*errors)
    return ContactDetails(mode=details.mode, name=name, phone=phone, email=email,
                          postal_address=postal)


async def contact_user(conn: BaseDBAsyncClient, details: ContactDetails, filer: str,
                       idempotency_key: str | None) -> User:
    """A user row for an applicant without a named identity: reachable through what
    they gave, never signed in as. Made in the submission's transaction, so a failed
    submission leaves no row with their e-mail and phone. With an idempotency key the
    row follows from the filer and the key, so a retried submission meets its first
    appeal through the (applicant, key) index instead of filing it twice."""
    if idempotency_key is None:
        return await User.create(issuer=CONTACT_ISSUER, subject=uuid.uuid4().hex,
                                 email=details.email, phone=details.phone, using_db=conn)
    user, _created = await User.get_or_create(
        issuer=CONTACT_ISSUER, subject=_keyed_subject(filer, idempotency_key),
        defaults={"email": details.email, "phone": details.phone}, using_db=conn)
    return user


async def keyed_contact(filer: str, idempotency_key: str) -> User | None:
    """The contact user of an earlier filing with this key, if it was made."""
    return await User.get_or_none(issuer=CONTACT_ISSUER,
                                  subject=_keyed_subject(filer, idempotency_key))


def _keyed_subject(filer: str, idempotency_key: str) -> str:
    return hashlib.sha256(f"{filer}\n{idempotency_key}".encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalised(code: str) -> str:
    """What the citizen typed, as codes are stored: upper case, without the spaces and
    dashes a code is read out or printed with."""
    return re.sub(r"[\s\-]", "", code).upper()


async def record(conn: BaseDBAsyncClient, appeal: Appeal, details: ContactDetails, *,
                 claimable: bool, now: datetime, days: int) -> None:
    """The details, and (for an applicant without an identity) a claim code, in the
    submission's transaction."""
    await AppealContact.create(appeal_id=appeal.id, mode=details.mode, name=details.name,
                               phone=details.phone, email=details.email,
                               postal_address=details.postal_address, using_db=conn)
    if claimable:
        await AppealClaim.create(appeal_id=appeal.id, code=new_code(),
                                 expires_at=now + timedelta(days=days), using_db=conn)


async def staff_sees(principal: Principal, appeal: Appeal) -> bool:
    """Staff of the responsible body or a body above it: they read the details and the
    claim code (the applicant reads the details too, everyone else masked). Asked per
    appeal of a page, so the bodies below the caller's come from the principal's cache
    (``subordinates_of``), not a query each."""
    staff = principal.organization_ids(STAFF)
    return bool(staff and appeal.organization_id is not None
                and appeal.organization_id in await subordinates_of(principal, staff))


def masked_name(value: str) -> str:
    """Initials: enough to recognise a name one already knows, not to learn it."""
    return " ".join(f"{word[0]}." for word in value.split())


def masked_phone(value: str) -> str:
    digits = [ch for ch in value if ch.isdigit()]
    return f"***{''.join(digits[-2:])}" if digits else ""


def masked_email(value: str) -> str:
    local, at, domain = value.partition("@")
    return f"{local[:1]}***@{domain}" if at else ""


#: The words that mark a part of an address as a settlement (город, село, посёлок, …),
#: with or without the dot of their abbreviation.
_LOCALITY = re.compile(
    r"^(г|город|с|село|п|пос|посёлок|поселок|пгт|рп|д|дер|деревня|ст|станица|х|хутор|"
    r"аул|сл|слобода|мкр|нп)(\.\s*|\s+)\S", re.IGNORECASE)


def masked_address(value: str) -> str:
    """The locality alone, and only a part marked as one (``г. Киров``): an address
    written street first (``ул. Ленина д.5, г. Киров``) must not show its street, and
    ``д.`` before a number is a house, not a village."""
    parts = [part.strip() for part in value.split(",")]
    for part in parts:
        if _LOCALITY.match(part) and not re.match(r"^д(ом)?\.?\s*\d", part, re.IGNORECASE):
            return f"{part}, ***" if len(parts) > 1 else "***"
    return "***" if value.strip() else ""
