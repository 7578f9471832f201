"""Taking an appeal in: the checks on what the citizen wrote, the applicant's identity
and quota, moderation and routing, and the one transaction that stores the appeal
with its whole submission history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.appeals import access, contacts, on_behalf
from vmeste.platform.appeals.lifecycle import Action
from vmeste.platform.appeals.models import (
    Appeal,
    AppealEvent,
    AppealStatus,
    ApplicantType,
    Channel,
    LegalTrack,
)
from vmeste.platform.appeals.moderation import (
    ModerationRequest,
    ModerationResult,
    Verdict,
    moderate,
)
from vmeste.platform.appeals.quota import check_submission_quota, enforce_quota, lock_applicant
from vmeste.platform.appeals.router import Router, RoutingDecision, RoutingRequest
from vmeste.platform.appeals.steps import APPEAL_STEPS, routed_status, routing_payload
from vmeste.platform.appeals.terms import local_day
from vmeste.platform.attachments.attach import attach, check_attachable
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Category, Organization, Territory

if TYPE_CHECKING:
    from vmeste.platform.appeals.terms import AppealTerms

TEXT_MAX = 10_000
#: The parent kinds of an appeal's files: the applicant's, and the answer's.
APPEAL_FILES = "appeal"
ANSWER_FILES = "appeal_answer"
ADDRESS_MAX = 500


@dataclass
class SubmitInput:
    text: str
    category_code: str
    channel: Channel
    territory_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    target_organization_ogrn: str | None = None
    complained_organization_ogrn: str | None = None
    legal_track: LegalTrack = LegalTrack.MESSAGE
    idempotency_key: str | None = None
    #: For the operator channel, and the social one filed by staff: the citizen written
    #: for (see :mod:`vmeste.platform.appeals.on_behalf`).
    on_behalf_of_subject: str | None = None
    on_behalf_of_issuer: str | None = None
    #: The operator channel: how the applicant came, and their details as given (the
    #: applicant itself when no subject names them; see ``contacts``).
    contact: contacts.ContactDetails | None = None
    #: The submitter's own unattached uploads (``POST /attachments``) to attach.
    attachment_ids: tuple[int, ...] = ()



class Intake:
    """Submission, as part of :class:`vmeste.platform.appeals.services.AppealServices`
    (whose fields these are)."""

    resolver: PolicyResolver
    router: Router
    terms: AppealTerms
    clock: Any
    claim_days: int
    #: Files one appeal (and one answer) may hold: VMESTE_ATTACHMENT_MAX_PER_PARENT.
    attachment_limit: int

    async def submit(self, principal: Principal, data: SubmitInput, *,
                     within: Callable[[BaseDBAsyncClient, Appeal], Awaitable[None]] | None
                     = None) -> Appeal:
        """``within`` writes what a channel keeps beside the appeal (Open311's facts), in
        the transaction that stores it."""
        on_behalf.check_submitter(principal, data.channel, data.on_behalf_of_subject,
                                  data.on_behalf_of_issuer, contact=data.contact is not None)
        if data.contact is not None:
            data.contact = contacts.checked(data.contact)
        filed_for = on_behalf.files_on_behalf(data.channel, data.on_behalf_of_subject)
        # A repeated key is caught by the unique index at insert time (below), so the
        # common case, a first submission, costs no extra query.
        category, territory, target, complained = await self._references(data)
        # None: a caller known by their details alone, whose user row is made with
        # the appeal (below).
        applicant = await self._applicant(principal, data, territory)
        try:
            await check_attachable(principal, data.attachment_ids, self.attachment_limit)
        except DomainError:
            # A retry of a submission that took its files: they are attached already.
            first = await self._first(principal, data, applicant)
            if first is None:
                raise
            return first
        now = self.clock()
        quota = None
        if not filed_for:  # the operator vouches (see on_behalf)
            assert applicant is not None
            await self._require_identified(applicant, territory)
            quota = await check_submission_quota(self.resolver, territory.code, applicant.id,
                                                 now, data.idempotency_key)
        verdict = await moderate(self.resolver, ModerationRequest(
            text=data.text, category_id=category.id, territory_code=territory.code, now=now,
            applicant_id=None if filed_for or applicant is None else applicant.id))
        applicant_type = (ApplicantType(applicant.kind.value) if applicant is not None
                          else ApplicantType.PERSON)
        decision = None
        if verdict.verdict == Verdict.ACCEPT:
            decision = await self.router.route(RoutingRequest(
                category_id=category.id, territory_id=territory.id, territory_code=territory.code,
                territory_path=territory.path, applicant_type=applicant_type.value,
                channel=data.channel.value, on=now.date(), point=point(data),
                target_organization_id=target.id if target else None,
                complained_organization_id=complained.id if complained else None))
        status, events = submission_steps(principal.actor, data.channel, verdict, decision,
                                          on_behalf=filed_for)
        # Accepted by moderation is registered: the clock starts now.
        deadline = (await self.terms.registration(territory, category, data.legal_track,
                                                      now)
                    if verdict.verdict == Verdict.ACCEPT else {})
        try:
            async with in_transaction() as conn:
                if applicant is None:
                    assert data.contact is not None
                    applicant = await contacts.contact_user(conn, data.contact, principal.actor,
                                                            data.idempotency_key)
                if quota is not None:
                    # The count above was a cheap early refusal; this one, under the
                    # applicant's lock, is the one parallel submissions cannot slip past.
                    await lock_applicant(conn, applicant.id)
                    await enforce_quota(quota, applicant.id, now, data.idempotency_key, conn)
                appeal = await Appeal.create(
                    applicant=applicant, applicant_type=applicant_type, channel=data.channel,
                    category=category, territory=territory, territory_path=territory.path,
                    latitude=data.latitude, longitude=data.longitude,
                    address=data.address.strip(), text=data.text.strip(),
                    target_organization=target, complained_organization=complained,
                    legal_track=data.legal_track, status=status,
                    organization_id=decision.organization_id if decision else None,
                    routing_trace=decision.trace if decision else None,
                    idempotency_key=data.idempotency_key,
                    received_on=local_day(now, territory.timezone), **deadline, using_db=conn)
                if data.contact is not None:
                    await contacts.record(conn, appeal, data.contact, now=now,
                                          days=self.claim_days,
                                          claimable=not data.on_behalf_of_subject)
                await attach(conn, principal, data.attachment_ids, parent=APPEAL_FILES,
                             parent_id=appeal.id, limit=self.attachment_limit, now=now,
                             scope_path=territory.path)
                # One INSERT for the submission's whole history, not one per step.
                await AppealEvent.bulk_create(
                    [AppealEvent(appeal_id=appeal.id, **event) for event in events],
                    using_db=conn)
                if within is not None:
                    await within(conn, appeal)
                await APPEAL_STEPS.announce(
                    conn, appeal, await AppealEvent.filter(appeal_id=appeal.id).using_db(conn),
                    f"appeal:{appeal.id}:submit")
        except IntegrityError:
            # The key was used before (a retry, or a concurrent twin): answer with the
            # first appeal, never a duplicate.
            first = await self._first(principal, data, applicant)
            if first is None:
                raise
            return first
        return appeal

    @staticmethod
    async def _first(principal: Principal, data: SubmitInput, applicant: User | None
                     ) -> Appeal | None:
        """The appeal submitted before under the key, to someone who may see it. A caller
        known by their details alone is the contact user the filer and the key name (the
        row ``applicant`` holds may have been rolled back with the failed attempt)."""
        key = data.idempotency_key
        if not key:
            return None
        if data.contact is not None and not data.on_behalf_of_subject:
            applicant = await contacts.keyed_contact(principal.actor, key)
        if applicant is None:
            return None
        first = await Appeal.get_or_none(applicant_id=applicant.id, idempotency_key=key)
        if first is None:
            return None
        if not await access.can_see(principal, first):
            raise DomainError.of("idempotencyKey", _("This key has already been used"),
                                 ErrorCode.CONFLICT) from None
        return first

    async def _applicant(self, principal: Principal, data: SubmitInput,
                         territory: Territory) -> User | None:
        """The applicant, or None for a caller known only by the contact details given
        (their row is made in the submission's transaction)."""
        assert principal.user is not None  # on_behalf.check_submitter ran first
        if not on_behalf.files_on_behalf(data.channel, data.on_behalf_of_subject):
            return principal.user
        await on_behalf.require_scope(principal, data.channel, territory)
        if not data.on_behalf_of_subject:
            assert data.contact is not None  # on_behalf.check_submitter ran first
            return None
        return await on_behalf.applicant(principal, data.on_behalf_of_subject,
                                         data.on_behalf_of_issuer)

    async def _references(self, data: SubmitInput) -> tuple[
            Category, Territory, Organization | None, Organization | None]:
        errors: list[FieldError] = []
        text = data.text.strip()
        if not text:
            errors.append(FieldError("text", _("Describe the problem"), ErrorCode.REQUIRED))
        elif len(text) > TEXT_MAX:
            errors.append(FieldError("text", _("The text is longer than {limit} characters",
                                       limit=TEXT_MAX),
                                     ErrorCode.INVALID))
        if len(data.address) > ADDRESS_MAX:
            errors.append(FieldError("address", _("The address is longer than {limit} characters",
                                       limit=ADDRESS_MAX),
                                     ErrorCode.INVALID))
        if (data.latitude is None) != (data.longitude is None):
            errors.append(FieldError("latitude", _("Give both latitude and longitude"),
                                     ErrorCode.INVALID))
        elif data.latitude is not None and not (
                -90 <= data.latitude <= 90 and -180 <= (data.longitude or 0) <= 180):
            errors.append(FieldError("latitude", _("The coordinates are out of range"),
                                     ErrorCode.INVALID))
        if data.idempotency_key is not None and not 1 <= len(data.idempotency_key) <= 128:
            errors.append(FieldError("idempotencyKey", _("A key has 1 to 128 characters"),
                                     ErrorCode.INVALID))
        category = await Category.get_or_none(code=data.category_code)
        if category is None or not category.active:
            errors.append(FieldError("categoryCode", _("The category is not found or closed"),
                                     ErrorCode.NOT_FOUND))
        territory = await self._territory(data, errors)
        target = await organization(data.target_organization_ogrn, "targetOrganizationOgrn",
                                     errors)
        complained = await organization(data.complained_organization_ogrn,
                                         "complainedOrganizationOgrn", errors)
        if data.target_organization_ogrn and data.channel != Channel.WIDGET:
            errors.append(FieldError("targetOrganizationOgrn",
                                     _("A widget's organization is given only for the widget "
                                       "channel"),
                                     ErrorCode.INVALID))
        if errors:
            raise DomainError(*errors)
        assert category is not None and territory is not None
        return category, territory, target, complained

    async def _territory(self, data: SubmitInput, errors: list[FieldError]) -> Territory | None:
        if data.territory_code:
            territory = await Territory.get_or_none(code=data.territory_code)
            if territory is None:
                errors.append(FieldError("territoryCode", _("Territory not found"),
                                         ErrorCode.NOT_FOUND))
            return territory
        if data.latitude is None or data.longitude is None:
            errors.append(FieldError("territoryCode", _("Choose a territory or a point on the map"),
                                     ErrorCode.REQUIRED))
            return None
        for root in await Territory.filter(parent_id__isnull=True).values_list("path",
                                                                               flat=True):
            found = await self.router.boundaries.locate(root, data.latitude, data.longitude)
            if found is not None:
                return await Territory.get(id=found.area.territory_id)
        errors.append(FieldError("latitude", _("The point is outside every known territory "
                                               "boundary; choose a territory"),
                                 ErrorCode.NOT_FOUND))
        return None

    async def _require_identified(self, applicant: User, territory: Territory) -> None:
        """547-ФЗ: an electronic appeal counts only from an identified sender."""
        if applicant.verified:
            return
        for strategy in await self.resolver.resolve(territory.code, "identity"):
            if strategy.settings.get("require_verified", False):
                raise DomainError.of(None, _("Verify your Gosuslugi account to send an appeal"),
                                     ErrorCode.UNVERIFIED)



def submission_steps(actor: str, channel: Channel, verdict: ModerationResult,
                      decision: RoutingDecision | None, *, on_behalf: bool = False
                      ) -> tuple[AppealStatus, list[dict[str, Any]]]:
    """The status a new appeal lands in, and the events that got it there (a submission
    filed for someone says so: its applicant is told ``filed_on_behalf``)."""
    moderator = f"system:moderation/{verdict.strategy or 'chain'}"
    moderation = AppealStatus.MODERATION.value
    events: list[dict[str, Any]] = [
        {"actor": actor, "action": Action.SUBMIT.value, "from_status": None,
         "to_status": moderation,
         "payload": {"channel": channel.value, **({"on_behalf": True} if on_behalf else {})}},
    ]
    verdict_payload = {"verdict": verdict.verdict.value, "code": verdict.code}
    if verdict.verdict == Verdict.REJECT:
        events.append({"actor": moderator, "action": Action.MODERATE.value,
                       "from_status": moderation, "to_status": AppealStatus.REJECTED.value,
                       "reason": verdict.reason, "payload": verdict_payload})
        return AppealStatus.REJECTED, events
    events.append({"actor": moderator, "action": Action.MODERATE.value,
                   "from_status": moderation, "to_status": moderation,
                   "reason": verdict.reason, "payload": verdict_payload})
    if verdict.verdict == Verdict.REVIEW or decision is None:
        return AppealStatus.MODERATION, events
    status = routed_status(decision)
    events.append({"actor": "system:routing", "action": Action.ROUTE.value,
                   "from_status": moderation, "to_status": status.value,
                   "payload": routing_payload(decision)})
    return status, events



def point(data: SubmitInput) -> tuple[float, float] | None:
    if data.latitude is None or data.longitude is None:
        return None
    return (data.latitude, data.longitude)



def check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise DomainError.of(name, _("At most {limit} characters", limit=limit), ErrorCode.INVALID)



async def organization(ogrn: str | None, field_name: str, errors: list[FieldError]
                        ) -> Organization | None:
    if not ogrn:
        return None
    found = await Organization.get_or_none(ogrn=ogrn)
    if found is None:
        errors.append(FieldError(field_name,
                                 _("Organization with OGRN {ogrn} not found", ogrn=ogrn),
                                 ErrorCode.NOT_FOUND))
    return found

