"""The appeal lifecycle after intake: moderation and routing by hand, and every later
step.

Each step is the platform's step shape (:mod:`vmeste.platform.steps`, bound to appeals
in :mod:`vmeste.platform.appeals.steps`): the caller's right and the state machine's
permission are checked, then the appeal and its event are written in one
transaction, so the history never disagrees with the appeal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.appeals import access
from vmeste.platform.appeals.intake import (
    ANSWER_FILES,
    APPEAL_FILES,
    TEXT_MAX,
    Intake,
    SubmitInput,
    check_length,
    organization,
)
from vmeste.platform.appeals.lifecycle import REWORK_RATING, Action
from vmeste.platform.appeals.models import Appeal, AppealCopy, AppealStatus, LegalTrack
from vmeste.platform.appeals.router import Router
from vmeste.platform.appeals.steps import APPEAL_STEPS as STEPS
from vmeste.platform.appeals.steps import apply_routing, routing_request, working_status
from vmeste.platform.appeals.terms import (
    CLARIFICATION,
    MAX_EXTENSION_DAYS,
    AppealTerms,
    first_answer,
    subject,
)
from vmeste.platform.attachments.attach import attach, check_attachable
from vmeste.platform.deadlines import terms as clocks
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Category, Organization, Territory

REASON_MAX = 2_000
ANSWER_MAX = 20_000

__all__ = ["AppealServices", "SubmitInput"]


def _required(name: str, value: str, message: str, limit: int) -> str:
    """The stripped text of a field a step cannot go without."""
    if not value.strip():
        raise DomainError.of(name, message, ErrorCode.REQUIRED)
    check_length(name, value, limit)
    return value.strip()


@dataclass
class AppealServices(Intake):
    """The lifecycle bound to this process's plugins, policies, routing table and terms."""

    resolver: PolicyResolver
    router: Router
    terms: AppealTerms
    clock: Any = field(default=lambda: datetime.now(UTC))
    #: Days a claim code of an appeal filed on someone's behalf stays valid.
    claim_days: int = 30
    attachment_limit: int = 10

    # --- moderation and routing by hand --------------------------------------------

    async def moderate(self, principal: Principal, appeal_id: int, *, accept: bool,
                       reason: str = "") -> Appeal:
        appeal = await STEPS.open(appeal_id, Action.MODERATE,
                                  lambda a: access.require_moderator(principal, a))
        if not accept:
            return await STEPS.take(
                appeal, principal.actor, Action.MODERATE, AppealStatus.REJECTED,
                reason=_required("reason", reason, _("Give the reason for the rejection"),
                                 REASON_MAX),
                payload={"verdict": "reject"})
        check_length("reason", reason, REASON_MAX)
        now = self.clock()
        request = await routing_request(appeal, now)
        decision = await self.router.route(request)
        territory = await Territory.get(id=request.territory_id)
        category = await Category.get(id=appeal.category_id)
        for name, value in (await self.terms.registration(
                territory, category, appeal.legal_track, now)).items():
            setattr(appeal, name, value)
        async with in_transaction() as conn:
            await STEPS.record(conn, appeal, principal.actor, Action.MODERATE,
                               AppealStatus.MODERATION, AppealStatus.MODERATION,
                               reason=reason.strip(), payload={"verdict": "accept"})
            await apply_routing(conn, appeal, "system:routing", decision)
        return appeal

    async def redirect(self, principal: Principal, appeal_id: int, *, organization_ogrn: str,
                       reason: str, copy_to: list[str] | None = None,
                       targets: RedirectTargets | None = None) -> Appeal:
        """``targets``: the organizations already resolved (a bulk redirection resolves
        them once for all its appeals); else from the OGRNs."""
        appeal = await STEPS.open(appeal_id, Action.REDIRECT, lambda a: access.require_body_staff(
            principal, a, (Role.OPERATOR, Role.ORG_ADMIN)))
        reason = _required("reason", reason, _("Say why the appeal is redirected"),
                           REASON_MAX)
        target, copies = targets or await redirect_targets(organization_ogrn, copy_to or [])
        forbidden = {appeal.complained_organization_id} - {None}
        if target.id in forbidden or any(c.id in forbidden for c in copies):
            raise DomainError.of("organizationOgrn", _("A complaint cannot be sent to the "
                                                       "organization it complains about"),
                                 ErrorCode.FORBIDDEN)
        if target.id == appeal.organization_id:
            raise DomainError.of("organizationOgrn", _("The appeal is already with this "
                                                       "organization"),
                                 ErrorCode.CONFLICT)

        async def copy(conn: BaseDBAsyncClient) -> None:
            for each in copies:
                await AppealCopy.get_or_create(appeal=appeal, organization=each,
                                               using_db=conn)

        previous = appeal.organization_id
        appeal.organization_id = target.id
        appeal.executor_id = None
        return await STEPS.take(
            appeal, principal.actor, Action.REDIRECT, AppealStatus.ROUTED, reason=reason,
            payload={"from_organization_id": previous, "to_organization": target.ogrn,
                     "copies": [c.ogrn for c in copies]}, within=copy)

    # --- work on the appeal ----------------------------------------------------------

    async def assign_executor(self, principal: Principal, appeal_id: int, *,
                              executor_subject: str | None = None,
                              executor_issuer: str | None = None,
                              executor_id: int | None = None) -> Appeal:
        """The executor is named by user id, or by issuer and subject."""
        appeal = await STEPS.open(
            appeal_id, Action.ASSIGN_EXECUTOR, lambda a: access.require_body_staff(
                principal, a, (Role.OPERATOR, Role.ORG_ADMIN), regional=False))
        by_name = bool(executor_subject or executor_issuer)
        if (executor_id is not None) == by_name or (by_name and not (
                executor_subject and executor_issuer)):
            raise DomainError.of("executorId", _("Name the executor: executorId, or "
                                                 "executorSubject with executorIssuer"),
                                 ErrorCode.REQUIRED if not by_name else ErrorCode.INVALID)
        executor = await (User.get_or_none(id=executor_id) if executor_id is not None else
                          User.get_or_none(subject=executor_subject, issuer=executor_issuer))
        if executor is None or not await RoleAssignment.exists(
                user_id=executor.id, role=Role.EXECUTOR, organization_id=appeal.organization_id):
            raise DomainError.of("executorId" if executor_id is not None else
                                 "executorSubject", _("No such executor in this organization"),
                                 ErrorCode.NOT_FOUND)
        appeal.executor_id = executor.id
        return await STEPS.take(appeal, principal.actor, Action.ASSIGN_EXECUTOR,
                                AppealStatus.IN_PROGRESS, payload={"executor_id": executor.id})

    async def request_clarification(self, principal: Principal, appeal_id: int, *,
                                    question: str) -> Appeal:
        appeal = await STEPS.open(appeal_id, Action.REQUEST_CLARIFICATION,
                                  lambda a: access.require_body_staff(principal, a,
                                                                      regional=False))
        question = _required("question", question, _("Write the question for the applicant"),
                             REASON_MAX)
        settings = await self.terms.settings_for(appeal)
        now = self.clock()
        timeout = now + timedelta(days=settings["clarification_timeout_days"])
        return await STEPS.take(
            appeal, principal.actor, Action.REQUEST_CLARIFICATION,
            AppealStatus.CLARIFICATION_REQUESTED, reason=question,
            within=lambda conn: clocks.pause(conn, subject(appeal), now, CLARIFICATION,
                                             timeout))

    async def clarify(self, principal: Principal, appeal_id: int, *, text: str,
                      attachment_ids: Sequence[int] = ()) -> Appeal:
        """The applicant's clarification; the files sent with it join the appeal's."""
        appeal = await STEPS.open(appeal_id, Action.CLARIFY,
                                  lambda a: access.require_applicant(principal, a))
        text = _required("text", text, _("Write the clarification"), TEXT_MAX)
        await check_attachable(principal, attachment_ids, self.attachment_limit)
        now = self.clock()
        async with in_transaction() as conn:
            await attach(conn, principal, attachment_ids, parent=APPEAL_FILES,
                         parent_id=appeal.id, limit=self.attachment_limit, now=now,
                         scope_path=appeal.territory_path)
            await clocks.resume(conn, subject(appeal), now)
            await self.terms.recompute(appeal, now, conn)
            await STEPS.move(conn, appeal, principal.actor, Action.CLARIFY,
                             working_status(appeal), payload={"text": text})
        return appeal

    async def answer(self, principal: Principal, appeal_id: int, *, text: str,
                     attachment_ids: Sequence[int] = ()) -> Appeal:
        """The answer, with the answering official's own uploads attached to it."""
        appeal = await STEPS.open(appeal_id, Action.ANSWER, lambda a: access.require_body_staff(
            principal, a, regional=False))
        appeal.answer = _required("text", text, _("The answer cannot be empty"), ANSWER_MAX)
        await check_attachable(principal, attachment_ids, self.attachment_limit)
        appeal.answered_at = now = self.clock()
        if appeal.first_answered_at is None:
            first_answer(appeal, appeal.answered_at)

        async def files(conn: BaseDBAsyncClient) -> None:
            await attach(conn, principal, attachment_ids, parent=ANSWER_FILES,
                         parent_id=appeal.id, limit=self.attachment_limit, now=now,
                         scope_path=appeal.territory_path)

        return await STEPS.take(appeal, principal.actor, Action.ANSWER, AppealStatus.ANSWERED,
                                payload={"text": appeal.answer}, within=files)

    async def rate(self, principal: Principal, appeal_id: int, *, rating: int,
                   comment: str = "") -> Appeal:
        appeal = await STEPS.open(appeal_id, Action.RATE,
                                  lambda a: access.require_applicant(principal, a))
        if not 1 <= rating <= 5:
            raise DomainError.of("rating", _("A rating is from 1 to 5"), ErrorCode.INVALID)
        check_length("comment", comment, REASON_MAX)
        rework = rating <= REWORK_RATING
        appeal.rating = rating
        if rework:
            appeal.rework_count += 1
        status = working_status(appeal) if rework else AppealStatus.CLOSED
        return await STEPS.take(appeal, principal.actor, Action.RATE, status,
                                reason=comment.strip(),
                                payload={"rating": rating, "rework": rework})

    async def reopen(self, principal: Principal, appeal_id: int, *, reason: str) -> Appeal:
        """A supervisor sends an answer back for rework."""
        appeal = await STEPS.open(appeal_id, Action.REOPEN, lambda a: access.require_body_staff(
            principal, a, (Role.ORG_ADMIN,)))
        reason = _required("reason", reason, _("Say what needs rework"), REASON_MAX)
        appeal.rework_count += 1
        return await STEPS.take(appeal, principal.actor, Action.REOPEN, working_status(appeal),
                                reason=reason)

    async def withdraw(self, principal: Principal, appeal_id: int, *, reason: str = ""
                       ) -> Appeal:
        appeal = await STEPS.open(appeal_id, Action.WITHDRAW,
                                  lambda a: access.require_applicant(principal, a))
        check_length("reason", reason, REASON_MAX)
        return await STEPS.take(appeal, principal.actor, Action.WITHDRAW,
                                AppealStatus.WITHDRAWN, reason=reason.strip())

    async def convert(self, principal: Principal, appeal_id: int, *, track: LegalTrack,
                      reason: str) -> Appeal:
        """Between a platform message and a formal 59-ФЗ appeal, keeping the history."""
        appeal = await STEPS.open(appeal_id, Action.CONVERT, lambda a: access.require_body_staff(
            principal, a, (Role.OPERATOR, Role.ORG_ADMIN)))
        if track == appeal.legal_track:
            raise DomainError.of("track", _("The appeal is already handled this way"),
                                 ErrorCode.CONFLICT)
        reason = _required("reason", reason, _("Give the grounds"), REASON_MAX)
        rules = await self.terms.rules_for(appeal, track)
        previous = appeal.legal_track
        async with in_transaction() as conn:
            appeal.legal_track = track
            # From the registration moment with every stored pause: paused time
            # survives the change of policy.
            await self.terms.recompute(appeal, self.clock(), conn, rules.policy)
            await STEPS.move(conn, appeal, principal.actor, Action.CONVERT, appeal.status,
                             reason=reason, payload={"from": previous.value, "to": track.value})
        return appeal

    async def extend(self, principal: Principal, appeal_id: int, *, days: int,
                     reason: str) -> Appeal:
        """59-ФЗ art. 12 p. 2: the head of the body (here its administrator or operator,
        not an executor) extends a running term once, by up to 30 days, with a reason;
        the ``extend`` event is what tells the applicant."""
        appeal = await STEPS.open(appeal_id, Action.EXTEND, lambda a: access.require_body_staff(
            principal, a, (Role.ORG_ADMIN, Role.OPERATOR), regional=False))
        if appeal.legal_track != LegalTrack.APPEAL_59FZ or appeal.registered_at is None:
            raise DomainError.of("id", _("Only a registered appeal under 59-FZ can have its term "
                                         "extended"), ErrorCode.INVALID)
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise DomainError.of("days", _("An extension is 1 to {days} days",
                                           days=MAX_EXTENSION_DAYS),
                                 ErrorCode.INVALID)
        reason = _required("reason", reason, _("Give the reason for the extension"), REASON_MAX)
        if await clocks.extended(subject(appeal)):
            raise DomainError.of("id", _("This appeal's term was already extended: 59-FZ allows "
                                         "one extension"), ErrorCode.CONFLICT)
        now = self.clock()
        # The term as of now (while paused, as if the pause ended now): one that has
        # already run out cannot be extended, only answered late.
        if now > (await self.terms.term(appeal)).due(appeal.registered_at, now):
            raise DomainError.of("id", _("The term has already run out: only a running term can be "
                                         "extended"), ErrorCode.ILLEGAL_TRANSITION)
        async with in_transaction() as conn:
            await clocks.extend(conn, subject(appeal), days, reason, principal.actor)
            await self.terms.recompute(appeal, now, conn)
            assert appeal.due_at is not None
            await STEPS.move(conn, appeal, principal.actor, Action.EXTEND, appeal.status,
                             reason=reason, payload={
                                 "units": days, "due_at": appeal.due_at.isoformat(),
                                 "reason": reason})
        return appeal


#: Where a redirection sends an appeal, and the organizations it copies.
RedirectTargets = tuple[Organization, list[Organization]]


async def redirect_targets(organization_ogrn: str, copy_to: list[str]) -> RedirectTargets:
    """The organizations a redirection names, or every unknown OGRN as an error."""
    errors: list[FieldError] = []
    target = await organization(organization_ogrn, "organizationOgrn", errors)
    copies = [await organization(ogrn, "copyTo", errors) for ogrn in copy_to]
    if errors:
        raise DomainError(*errors)
    assert target is not None
    return target, [c for c in copies if c is not None]
