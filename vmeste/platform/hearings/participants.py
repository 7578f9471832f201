"""Participants of a hearing and their class (art. 5.1 parts 12 and 17).

A citizen registers once per hearing, through the platform's identity: a natural person
with a verified account. The class is decided then, and copied onto each proposal:

- **resident**: the verified profile's registered address (its ОКТМО) lies inside the
  hearing's territory. This is checked: the address comes from the identity provider.
- **right-holder**: not a resident, but declares the cadastral number of a land plot or
  a building in the territory, with the document of the right (its title and number).
  The platform checks the number's form (``NN:NN:NNNNNN(N):N…``) and that a document is
  named, and records both as declared; it does not check the Unified State Register
  (no access to it), nor that the cadastral district lies in the territory (cadastral
  districts do not follow ОКТМО). The organiser checks the documents, as the law has it
  (part 12: participants present documents confirming their rights).
- **other**: anyone else.

Registering twice gives back the first registration unchanged (the class is never
re-decided). Staff enter the participants of the meeting and the authors of letters,
with a name and a class as the documents shown to them establish it.
"""

from __future__ import annotations

import re

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode, Unauthenticated
from vmeste.platform.hearings import access
from vmeste.platform.hearings.drafts import hearing_of, may_see
from vmeste.platform.hearings.lifecycle import TAKING_PROPOSALS
from vmeste.platform.hearings.models import (
    Hearing,
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    ProposalChannel,
)
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User, UserKind
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.participation.eligibility import not_eligible
from vmeste.platform.reference.models import Territory
from vmeste.platform.steps import require_transition

CADASTRAL = re.compile(r"^\d{2}:\d{2}:\d{6,7}:\d{1,10}$")
NAME_MAX = 500
DOCUMENT_MAX = 500
#: Registration opens with the notice and ends with proposals.
REGISTERING = frozenset({HearingStatus.NOTICE, *TAKING_PROPOSALS})
REGISTER = "register"


def display_name(user: User) -> str:
    named = " ".join(p for p in (user.last_name, user.first_name, user.middle_name) if p)
    return named or user.subject


async def classify(user: User, hearing: Hearing, cadastral_number: str,
                   right_document: str) -> tuple[ParticipantClass, str]:
    """The class and the registered address territory's path (empty when unknown)."""
    home = await Territory.get_or_none(code=user.address_oktmo) if user.address_oktmo else None
    path = home.path if home is not None else ""
    if path and path_within(path, hearing.territory_path):
        return ParticipantClass.RESIDENT, path
    if cadastral_number:
        return ParticipantClass.RIGHT_HOLDER, path
    return ParticipantClass.OTHER, path


def declaration(cadastral_number: str | None, right_document: str | None) -> tuple[str, str]:
    """The declared cadastral number and document, checked for form."""
    number = (cadastral_number or "").strip()
    document = (right_document or "").strip()
    if not number:
        return "", ""
    if not CADASTRAL.match(number):
        raise DomainError.of("cadastralNumber", _("A cadastral number looks like "
                                                  "43:40:000123:45"), ErrorCode.INVALID)
    if not document:
        raise DomainError.of("rightDocument", _("Name the document of the right (its title "
                                                "and number)"), ErrorCode.REQUIRED)
    if len(document) > DOCUMENT_MAX:
        raise DomainError.of("rightDocument", _("At most {limit} characters",
                                                limit=DOCUMENT_MAX), ErrorCode.INVALID)
    return number, document


async def registration(principal: Principal, hearing: Hearing) -> HearingParticipant | None:
    if principal.user is None:
        return None
    return await HearingParticipant.get_or_none(hearing_id=hearing.pk, user_id=principal.user.pk)


async def register(principal: Principal, hearing_id: int, *, cadastral_number: str | None = None,
                   right_document: str | None = None) -> HearingParticipant:
    """The caller's participation in the hearing, made now or the one made before."""
    require_authenticated(principal)
    hearing = await hearing_of(hearing_id)
    if not may_see(principal, hearing):
        raise DomainError.of("hearingId", _("Hearing not found"), ErrorCode.NOT_FOUND)
    return await enrol(principal, hearing, cadastral_number=cadastral_number,
                       right_document=right_document)


async def enrol(principal: Principal, hearing: Hearing, *, cadastral_number: str | None = None,
                right_document: str | None = None) -> HearingParticipant:
    """:func:`register` for a hearing already loaded (a first proposal registers its
    author, as a step of its own)."""
    user = principal.user
    if user is None:
        raise Unauthenticated()
    require_transition({REGISTER: REGISTERING}, REGISTER, hearing.status)
    if user.kind is not UserKind.PERSON:
        raise not_eligible(_("Only natural persons take part; a legal entity's staff take "
                             "part as themselves"))
    if not user.verified:
        raise not_eligible(_("A verified account is required"))
    number, document = declaration(cadastral_number, right_document)
    known = await HearingParticipant.get_or_none(hearing_id=hearing.pk, user_id=user.pk)
    if known is not None:
        return known
    kind, path = await classify(user, hearing, number, document)
    try:
        async with in_transaction() as tx:
            row = await HearingParticipant.create(
                hearing_id=hearing.pk, user_id=user.pk,
                display_name=display_name(user)[:NAME_MAX],
                participant_class=kind, cadastral_number=number, right_document=document,
                territory_path=path, channel=ProposalChannel.ONLINE, using_db=tx)
            await _audit(tx, principal, hearing, row)
    except IntegrityError:  # registered at the same moment by another request
        return await HearingParticipant.get(hearing_id=hearing.pk, user_id=user.pk)
    return row


async def _audit(conn: BaseDBAsyncClient, principal: Principal, hearing: Hearing,
                 row: HearingParticipant) -> None:
    await record(actor=principal.actor, action="hearing.register",
                 object_type="hearing_participant", object_id=row.pk, before=None,
                 after={"hearing_id": hearing.pk, "participant_class": row.participant_class,
                        "channel": row.channel, "cadastral_number": row.cadastral_number,
                        "right_document": row.right_document},
                 scope_path=hearing.territory_path, using=conn)


def staff_channel(channel: ProposalChannel) -> ProposalChannel:
    if channel not in (ProposalChannel.MEETING, ProposalChannel.WRITTEN):
        raise DomainError.of("channel", _("Staff enter proposals made at the meeting or in "
                                          "writing"), ErrorCode.INVALID)
    return channel


async def enter(conn: BaseDBAsyncClient, principal: Principal, hearing: Hearing, name: str,
                participant_class: ParticipantClass, channel: ProposalChannel
                ) -> HearingParticipant:
    """A participant of the meeting or the author of a letter, entered by staff inside
    ``conn``'s transaction (the caller checked the right and the stage)."""
    name = name.strip()
    if not name:
        raise DomainError.of("displayName", _("The participant's name is required"),
                             ErrorCode.REQUIRED)
    if len(name) > NAME_MAX:
        raise DomainError.of("displayName", _("At most {limit} characters", limit=NAME_MAX),
                             ErrorCode.INVALID)
    row = await HearingParticipant.create(
        hearing_id=hearing.pk, user_id=None, display_name=name,
        participant_class=participant_class, channel=staff_channel(channel),
        entered_by=principal.actor, using_db=conn)
    await _audit(conn, principal, hearing, row)
    return row


async def enter_participant(principal: Principal, hearing_id: int, name: str,
                            participant_class: ParticipantClass, channel: ProposalChannel
                            ) -> HearingParticipant:
    hearing = await hearing_of(hearing_id)
    access.require_staff(principal, hearing.territory_path, hearing.organiser_id)
    require_transition({REGISTER: TAKING_PROPOSALS}, REGISTER, hearing.status)
    async with in_transaction() as conn:
        return await enter(conn, principal, hearing, name, participant_class, channel)


async def my_participation(principal: Principal, hearing_id: int) -> HearingParticipant | None:
    require_authenticated(principal)
    hearing = await Hearing.get_or_none(id=hearing_id)
    if hearing is None:
        return None
    return await registration(principal, hearing)
