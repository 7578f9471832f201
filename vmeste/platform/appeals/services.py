"""The appeal lifecycle: submission, moderation, routing and every later step.

Each step checks the caller's right to take it and the state machine's permission,
then writes the appeal and its event in one transaction, so the history never
disagrees with the appeal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.appeals import access, on_behalf
from vmeste.platform.appeals.lifecycle import REWORK_RATING, Action, require_transition
from vmeste.platform.appeals.models import (
    Appeal,
    AppealCopy,
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
from vmeste.platform.deadlines.models import AppealExtension, AppealPause
from vmeste.platform.deadlines.policy import MAX_EXTENSION_DAYS
from vmeste.platform.deadlines.terms import DEADLINE_FIELDS, Deadlines
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.identity.models import Role, RoleAssignment, User
from vmeste.platform.identity.principal import Principal
from vmeste.platform.outbox.services import APPEAL_EVENTS, emit
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Category, Organization, Territory

TEXT_MAX = 10_000
#: What a lifecycle step may change on the appeal row.
MUTABLE_FIELDS = ("status", "organization_id", "executor_id", "answer", "answered_at",
                  "rating", "rework_count", "legal_track", "routing_trace", *DEADLINE_FIELDS,
                  "reminders_sent", "overdue_at", "escalated_at", "next_check_at")
ADDRESS_MAX = 500
REASON_MAX = 2_000
#: Why a clock was paused: the body asked the applicant for a clarification.
CLARIFICATION = "clarification"
ANSWER_MAX = 20_000


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
    #: For the operator channel: the citizen the operator writes for.
    on_behalf_of_subject: str | None = None
    on_behalf_of_issuer: str | None = None


@dataclass
class AppealServices:
    """The lifecycle bound to this process's plugins, policies and routing table."""

    resolver: PolicyResolver
    router: Router
    deadlines: Deadlines
    clock: Any = field(default=lambda: datetime.now(UTC))

    # --- submission --------------------------------------------------------------

    async def submit(self, principal: Principal, data: SubmitInput) -> Appeal:
        on_behalf.check_submitter(principal, data.channel, data.on_behalf_of_subject)
        # A repeated key is caught by the unique index at insert time (below), so the
        # common case, a first submission, costs no extra query.
        category, territory, target, complained = await self._references(data)
        applicant = await self._applicant(principal, data, territory)
        now = self.clock()
        quota = None
        if data.channel != Channel.OPERATOR:  # the operator vouches (see on_behalf)
            await self._require_identified(applicant, territory)
            quota = await check_submission_quota(self.resolver, territory.code, applicant.id,
                                                 now, data.idempotency_key)
        verdict = await moderate(self.resolver, ModerationRequest(
            text=data.text, category_id=category.id, territory_code=territory.code, now=now,
            applicant_id=None if data.channel == Channel.OPERATOR else applicant.id))
        applicant_type = ApplicantType(applicant.kind.value)
        decision = None
        if verdict.verdict == Verdict.ACCEPT:
            decision = await self.router.route(RoutingRequest(
                category_id=category.id, territory_id=territory.id, territory_code=territory.code,
                territory_path=territory.path, applicant_type=applicant_type.value,
                channel=data.channel.value, on=now.date(), point=_point(data),
                target_organization_id=target.id if target else None,
                complained_organization_id=complained.id if complained else None))
        status, events = _submission_steps(principal.actor, data.channel, verdict, decision)
        # Accepted by moderation is registered: the clock starts now.
        deadline = (await self.deadlines.registration(territory, category, data.legal_track,
                                                      now)
                    if verdict.verdict == Verdict.ACCEPT else {})
        try:
            async with in_transaction() as conn:
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
                    idempotency_key=data.idempotency_key, **deadline, using_db=conn)
                # One INSERT for the submission's whole history, not one per step.
                await AppealEvent.bulk_create(
                    [AppealEvent(appeal_id=appeal.id, **event) for event in events],
                    using_db=conn)
                event_ids = await AppealEvent.filter(appeal_id=appeal.id).using_db(
                    conn).values_list("id", flat=True)
                await emit(conn, APPEAL_EVENTS,
                           {"appeal_id": appeal.id, "event_ids": list(event_ids)},
                           f"appeal:{appeal.id}:submit")
        except IntegrityError:
            # The key was used before (a retry, or a concurrent twin): answer with the
            # first appeal, never a duplicate, but only to someone who may see it.
            if data.idempotency_key:
                first = await Appeal.get_or_none(applicant_id=applicant.id,
                                                 idempotency_key=data.idempotency_key)
                if first is not None:
                    if await access.can_see(principal, first):
                        return first
                    raise DomainError.of("idempotencyKey", "Этот ключ уже использован",
                                         ErrorCode.CONFLICT) from None
            raise
        return appeal

    async def _applicant(self, principal: Principal, data: SubmitInput,
                         territory: Territory) -> User:
        assert principal.user is not None  # on_behalf.check_submitter ran first
        if data.channel != Channel.OPERATOR:
            return principal.user
        assert data.on_behalf_of_subject
        await on_behalf.require_operator_scope(principal, territory)
        return await on_behalf.applicant(principal, data.on_behalf_of_subject,
                                         data.on_behalf_of_issuer)

    async def _references(self, data: SubmitInput) -> tuple[
            Category, Territory, Organization | None, Organization | None]:
        errors: list[FieldError] = []
        text = data.text.strip()
        if not text:
            errors.append(FieldError("text", "Опишите проблему", ErrorCode.REQUIRED))
        elif len(text) > TEXT_MAX:
            errors.append(FieldError("text", f"Текст длиннее {TEXT_MAX} символов",
                                     ErrorCode.INVALID))
        if len(data.address) > ADDRESS_MAX:
            errors.append(FieldError("address", f"Адрес длиннее {ADDRESS_MAX} символов",
                                     ErrorCode.INVALID))
        if (data.latitude is None) != (data.longitude is None):
            errors.append(FieldError("latitude", "Укажите и широту, и долготу",
                                     ErrorCode.INVALID))
        elif data.latitude is not None and not (
                -90 <= data.latitude <= 90 and -180 <= (data.longitude or 0) <= 180):
            errors.append(FieldError("latitude", "Координаты вне допустимых пределов",
                                     ErrorCode.INVALID))
        if data.idempotency_key is not None and not 1 <= len(data.idempotency_key) <= 128:
            errors.append(FieldError("idempotencyKey", "Ключ — от 1 до 128 символов",
                                     ErrorCode.INVALID))
        category = await Category.get_or_none(code=data.category_code)
        if category is None or not category.active:
            errors.append(FieldError("categoryCode", "Рубрика не найдена или закрыта",
                                     ErrorCode.NOT_FOUND))
        territory = await self._territory(data, errors)
        target = await _organization(data.target_organization_ogrn, "targetOrganizationOgrn",
                                     errors)
        complained = await _organization(data.complained_organization_ogrn,
                                         "complainedOrganizationOgrn", errors)
        if data.target_organization_ogrn and data.channel != Channel.WIDGET:
            errors.append(FieldError("targetOrganizationOgrn",
                                     "Организация виджета указывается только для канала widget",
                                     ErrorCode.INVALID))
        if errors:
            raise DomainError(*errors)
        assert category is not None and territory is not None
        return category, territory, target, complained

    async def _territory(self, data: SubmitInput, errors: list[FieldError]) -> Territory | None:
        if data.territory_code:
            territory = await Territory.get_or_none(code=data.territory_code)
            if territory is None:
                errors.append(FieldError("territoryCode", "Территория не найдена",
                                         ErrorCode.NOT_FOUND))
            return territory
        if data.latitude is None or data.longitude is None:
            errors.append(FieldError("territoryCode", "Укажите территорию или точку на карте",
                                     ErrorCode.REQUIRED))
            return None
        for root in await Territory.filter(parent_id__isnull=True).values_list("path",
                                                                               flat=True):
            found = await self.router.boundaries.locate(root, data.latitude, data.longitude)
            if found is not None:
                return await Territory.get(id=found.area.territory_id)
        errors.append(FieldError("latitude", "Точка вне известных границ территорий; "
                                 "укажите территорию", ErrorCode.NOT_FOUND))
        return None

    async def _require_identified(self, applicant: User, territory: Territory) -> None:
        """547-ФЗ: an electronic appeal counts only from an identified sender."""
        if applicant.verified:
            return
        for strategy in await self.resolver.resolve(territory.code, "identity"):
            if strategy.settings.get("require_verified", False):
                raise DomainError.of(None, "Подтвердите учётную запись на Госуслугах, чтобы "
                                     "отправить обращение", ErrorCode.UNVERIFIED)

    # --- moderation and routing by hand --------------------------------------------

    async def moderate(self, principal: Principal, appeal_id: int, *, accept: bool,
                       reason: str = "") -> Appeal:
        appeal = await _appeal(appeal_id)
        access.require_moderator(principal, appeal)
        require_transition(Action.MODERATE, appeal.status)
        if not accept and not reason.strip():
            raise DomainError.of("reason", "Укажите причину отклонения", ErrorCode.REQUIRED)
        _check_length("reason", reason, REASON_MAX)
        if not accept:
            async with in_transaction() as conn:
                await _move(conn, appeal, principal.actor, Action.MODERATE,
                            AppealStatus.REJECTED, reason=reason.strip(),
                            payload={"verdict": "reject"})
            return appeal
        now = self.clock()
        request = await _routing_request(appeal, now)
        decision = await self.router.route(request)
        territory = await Territory.get(id=request.territory_id)
        category = await Category.get(id=appeal.category_id)
        for name, value in (await self.deadlines.registration(
                territory, category, appeal.legal_track, now)).items():
            setattr(appeal, name, value)
        async with in_transaction() as conn:
            await _event(conn, appeal, principal.actor, Action.MODERATE,
                         AppealStatus.MODERATION, AppealStatus.MODERATION,
                         reason=reason.strip(), payload={"verdict": "accept"})
            await _apply_routing(conn, appeal, "system:routing", decision)
        return appeal

    async def redirect(self, principal: Principal, appeal_id: int, *, organization_ogrn: str,
                       reason: str, copy_to: list[str] | None = None) -> Appeal:
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, (Role.OPERATOR, Role.ORG_ADMIN))
        require_transition(Action.REDIRECT, appeal.status)
        if not reason.strip():
            raise DomainError.of("reason", "Укажите, почему обращение перенаправлено",
                                 ErrorCode.REQUIRED)
        _check_length("reason", reason, REASON_MAX)
        errors: list[FieldError] = []
        target = await _organization(organization_ogrn, "organizationOgrn", errors)
        copies = [await _organization(ogrn, "copyTo", errors) for ogrn in copy_to or []]
        if errors:
            raise DomainError(*errors)
        assert target is not None
        forbidden = {appeal.complained_organization_id} - {None}
        if target.id in forbidden or any(c and c.id in forbidden for c in copies):
            raise DomainError.of("organizationOgrn", "Жалобу нельзя направлять организации, "
                                 "на действия которой жалуются", ErrorCode.FORBIDDEN)
        if target.id == appeal.organization_id:
            raise DomainError.of("organizationOgrn", "Обращение уже в этой организации",
                                 ErrorCode.CONFLICT)
        async with in_transaction() as conn:
            previous = appeal.organization_id
            appeal.organization_id = target.id
            appeal.executor_id = None
            await _move(conn, appeal, principal.actor, Action.REDIRECT, AppealStatus.ROUTED,
                        reason=reason.strip(), payload={
                            "from_organization_id": previous, "to_organization": target.ogrn,
                            "copies": [c.ogrn for c in copies if c]})
            for copy in copies:
                if copy is not None:
                    await AppealCopy.get_or_create(appeal=appeal, organization=copy,
                                                   using_db=conn)
        return appeal

    # --- work on the appeal ----------------------------------------------------------

    async def assign_executor(self, principal: Principal, appeal_id: int, *,
                              executor_subject: str | None = None,
                              executor_issuer: str | None = None,
                              executor_id: int | None = None) -> Appeal:
        """The executor is named by user id, or by issuer and subject."""
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, (Role.OPERATOR, Role.ORG_ADMIN),
                                        regional=False)
        require_transition(Action.ASSIGN_EXECUTOR, appeal.status)
        by_name = bool(executor_subject or executor_issuer)
        if (executor_id is not None) == by_name or (by_name and not (
                executor_subject and executor_issuer)):
            raise DomainError.of("executorId", "Укажите исполнителя: executorId или "
                                 "executorSubject вместе с executorIssuer",
                                 ErrorCode.REQUIRED if not by_name else ErrorCode.INVALID)
        executor = await (User.get_or_none(id=executor_id) if executor_id is not None else
                          User.get_or_none(subject=executor_subject, issuer=executor_issuer))
        if executor is None or not await RoleAssignment.exists(
                user_id=executor.id, role=Role.EXECUTOR, organization_id=appeal.organization_id):
            raise DomainError.of("executorId" if executor_id is not None else
                                 "executorSubject", "Исполнитель не найден в этой организации",
                                 ErrorCode.NOT_FOUND)
        async with in_transaction() as conn:
            appeal.executor_id = executor.id
            await _move(conn, appeal, principal.actor, Action.ASSIGN_EXECUTOR,
                        AppealStatus.IN_PROGRESS, payload={"executor_id": executor.id})
        return appeal

    async def request_clarification(self, principal: Principal, appeal_id: int, *,
                                    question: str) -> Appeal:
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, regional=False)
        require_transition(Action.REQUEST_CLARIFICATION, appeal.status)
        if not question.strip():
            raise DomainError.of("question", "Сформулируйте вопрос заявителю",
                                 ErrorCode.REQUIRED)
        _check_length("question", question, REASON_MAX)
        settings = await self.deadlines.settings_for(appeal)
        now = self.clock()
        async with in_transaction() as conn:
            await AppealPause.create(
                appeal_id=appeal.id, started_at=now, reason=CLARIFICATION, using_db=conn,
                timeout_at=now + timedelta(days=settings["clarification_timeout_days"]))
            await _move(conn, appeal, principal.actor, Action.REQUEST_CLARIFICATION,
                        AppealStatus.CLARIFICATION_REQUESTED, reason=question.strip())
        return appeal

    async def clarify(self, principal: Principal, appeal_id: int, *, text: str) -> Appeal:
        appeal = await _appeal(appeal_id)
        access.require_applicant(principal, appeal)
        require_transition(Action.CLARIFY, appeal.status)
        if not text.strip():
            raise DomainError.of("text", "Напишите уточнение", ErrorCode.REQUIRED)
        _check_length("text", text, TEXT_MAX)
        now = self.clock()
        async with in_transaction() as conn:
            await AppealPause.filter(appeal_id=appeal.id, ended_at__isnull=True).using_db(
                conn).update(ended_at=now)
            await self.deadlines.recompute(appeal, now, conn)
            await _move(conn, appeal, principal.actor, Action.CLARIFY, _working_status(appeal),
                        payload={"text": text.strip()})
        return appeal

    async def answer(self, principal: Principal, appeal_id: int, *, text: str) -> Appeal:
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, regional=False)
        require_transition(Action.ANSWER, appeal.status)
        if not text.strip():
            raise DomainError.of("text", "Ответ не может быть пустым", ErrorCode.REQUIRED)
        _check_length("text", text, ANSWER_MAX)
        async with in_transaction() as conn:
            appeal.answer = text.strip()
            appeal.answered_at = self.clock()
            await _move(conn, appeal, principal.actor, Action.ANSWER, AppealStatus.ANSWERED,
                        payload={"text": appeal.answer})
        return appeal

    async def rate(self, principal: Principal, appeal_id: int, *, rating: int,
                   comment: str = "") -> Appeal:
        appeal = await _appeal(appeal_id)
        access.require_applicant(principal, appeal)
        require_transition(Action.RATE, appeal.status)
        if not 1 <= rating <= 5:
            raise DomainError.of("rating", "Оценка — от 1 до 5", ErrorCode.INVALID)
        _check_length("comment", comment, REASON_MAX)
        rework = rating <= REWORK_RATING
        async with in_transaction() as conn:
            appeal.rating = rating
            if rework:
                appeal.rework_count += 1
            status = _working_status(appeal) if rework else AppealStatus.CLOSED
            await _move(conn, appeal, principal.actor, Action.RATE, status,
                        reason=comment.strip(), payload={"rating": rating, "rework": rework})
        return appeal

    async def reopen(self, principal: Principal, appeal_id: int, *, reason: str) -> Appeal:
        """A supervisor sends an answer back for rework."""
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, (Role.ORG_ADMIN,))
        require_transition(Action.REOPEN, appeal.status)
        if not reason.strip():
            raise DomainError.of("reason", "Укажите, что нужно доработать", ErrorCode.REQUIRED)
        _check_length("reason", reason, REASON_MAX)
        async with in_transaction() as conn:
            appeal.rework_count += 1
            await _move(conn, appeal, principal.actor, Action.REOPEN, _working_status(appeal),
                        reason=reason.strip())
        return appeal

    async def withdraw(self, principal: Principal, appeal_id: int, *, reason: str = ""
                       ) -> Appeal:
        appeal = await _appeal(appeal_id)
        access.require_applicant(principal, appeal)
        require_transition(Action.WITHDRAW, appeal.status)
        _check_length("reason", reason, REASON_MAX)
        async with in_transaction() as conn:
            await _move(conn, appeal, principal.actor, Action.WITHDRAW, AppealStatus.WITHDRAWN,
                        reason=reason.strip())
        return appeal

    async def convert(self, principal: Principal, appeal_id: int, *, track: LegalTrack,
                      reason: str) -> Appeal:
        """Between a platform message and a formal 59-ФЗ appeal, keeping the history."""
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, (Role.OPERATOR, Role.ORG_ADMIN))
        require_transition(Action.CONVERT, appeal.status)
        if track == appeal.legal_track:
            raise DomainError.of("track", "Обращение уже рассматривается в этом порядке",
                                 ErrorCode.CONFLICT)
        if not reason.strip():
            raise DomainError.of("reason", "Укажите основание", ErrorCode.REQUIRED)
        _check_length("reason", reason, REASON_MAX)
        rules = await self.deadlines.rules_for(appeal, track)
        async with in_transaction() as conn:
            previous = appeal.legal_track
            appeal.legal_track = track
            # From the registration moment with every stored pause: paused time
            # survives the change of policy.
            await self.deadlines.recompute(appeal, self.clock(), conn, rules.policy)
            await _move(conn, appeal, principal.actor, Action.CONVERT, appeal.status,
                        reason=reason.strip(),
                        payload={"from": previous.value, "to": track.value})
        return appeal

    async def extend(self, principal: Principal, appeal_id: int, *, days: int,
                     reason: str) -> Appeal:
        """59-ФЗ art. 12 p. 2: the head of the body (here its administrator or operator,
        not an executor) extends a running term once, by up to 30 days, with a reason;
        the ``extend`` event is what tells the applicant."""
        appeal = await _appeal(appeal_id)
        await access.require_body_staff(principal, appeal, (Role.ORG_ADMIN, Role.OPERATOR),
                                        regional=False)
        require_transition(Action.EXTEND, appeal.status)
        if appeal.legal_track != LegalTrack.APPEAL_59FZ or appeal.registered_at is None:
            raise DomainError.of("id", "Продлить срок можно только зарегистрированному "
                                 "обращению по 59-ФЗ", ErrorCode.INVALID)
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise DomainError.of("days", f"Продлить можно на 1–{MAX_EXTENSION_DAYS} дней",
                                 ErrorCode.INVALID)
        if not reason.strip():
            raise DomainError.of("reason", "Укажите причину продления", ErrorCode.REQUIRED)
        _check_length("reason", reason, REASON_MAX)
        if await AppealExtension.exists(appeal_id=appeal.id):
            raise DomainError.of("id", "Срок этого обращения уже продлевался: по 59-ФЗ "
                                 "продлить можно один раз", ErrorCode.CONFLICT)
        now = self.clock()
        # The term as of now (while paused, as if the pause ended now): one that has
        # already run out cannot be extended, only answered late.
        if now > (await self.deadlines.term(appeal)).due(appeal.registered_at, now):
            raise DomainError.of("id", "Срок ответа уже истёк: продлить можно только "
                                 "неистёкший срок", ErrorCode.ILLEGAL_TRANSITION)
        async with in_transaction() as conn:
            await AppealExtension.create(appeal_id=appeal.id, units=days,
                                         reason=reason.strip(), actor=principal.actor,
                                         using_db=conn)
            await self.deadlines.recompute(appeal, now, conn)
            assert appeal.due_at is not None
            await _move(conn, appeal, principal.actor, Action.EXTEND, appeal.status,
                        reason=reason.strip(), payload={
                            "units": days, "due_at": appeal.due_at.isoformat(),
                            "reason": reason.strip()})
        return appeal


def _submission_steps(actor: str, channel: Channel, verdict: ModerationResult,
                      decision: RoutingDecision | None
                      ) -> tuple[AppealStatus, list[dict[str, Any]]]:
    """The status a new appeal lands in, and the events that got it there."""
    moderator = f"system:moderation/{verdict.strategy or 'chain'}"
    moderation = AppealStatus.MODERATION.value
    events: list[dict[str, Any]] = [
        {"actor": actor, "action": Action.SUBMIT.value, "from_status": None,
         "to_status": moderation, "payload": {"channel": channel.value}},
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
    status = _routed_status(decision)
    events.append({"actor": "system:routing", "action": Action.ROUTE.value,
                   "from_status": moderation, "to_status": status.value,
                   "payload": _routing_payload(decision)})
    return status, events


def _working_status(appeal: Appeal) -> AppealStatus:
    """Back to work: with its executor if one is assigned, else waiting for one."""
    return AppealStatus.IN_PROGRESS if appeal.executor_id else AppealStatus.ROUTED


def _routed_status(decision: RoutingDecision) -> AppealStatus:
    return AppealStatus.UNROUTED if decision.fallback else AppealStatus.ROUTED


def _routing_payload(decision: RoutingDecision) -> dict[str, Any]:
    return {"strategy": decision.strategy, "rule_id": decision.rule_id,
            "organization_id": decision.organization_id, "fallback": decision.fallback}


def _point(data: SubmitInput) -> tuple[float, float] | None:
    if data.latitude is None or data.longitude is None:
        return None
    return (data.latitude, data.longitude)


def _check_length(name: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise DomainError.of(name, f"Не длиннее {limit} символов", ErrorCode.INVALID)


async def _organization(ogrn: str | None, field_name: str, errors: list[FieldError]
                        ) -> Organization | None:
    if not ogrn:
        return None
    found = await Organization.get_or_none(ogrn=ogrn)
    if found is None:
        errors.append(FieldError(field_name, f"Организация с ОГРН {ogrn} не найдена",
                                 ErrorCode.NOT_FOUND))
    return found


async def _appeal(appeal_id: int) -> Appeal:
    appeal = await Appeal.get_or_none(id=appeal_id)
    if appeal is None:
        raise DomainError.of("id", "Обращение не найдено", ErrorCode.NOT_FOUND)
    return appeal


async def _routing_request(appeal: Appeal, now: datetime) -> RoutingRequest:
    territory = await Territory.get(id=appeal.territory_id)
    point = None
    if appeal.latitude is not None and appeal.longitude is not None:
        point = (appeal.latitude, appeal.longitude)
    return RoutingRequest(
        category_id=appeal.category_id, territory_id=territory.id,
        territory_code=territory.code, territory_path=territory.path,
        applicant_type=appeal.applicant_type.value, channel=appeal.channel.value,
        on=now.date(), point=point, target_organization_id=appeal.target_organization_id,
        complained_organization_id=appeal.complained_organization_id)


async def _apply_routing(conn: BaseDBAsyncClient, appeal: Appeal, actor: str,
                         decision: RoutingDecision) -> None:
    appeal.organization_id = decision.organization_id
    appeal.routing_trace = decision.trace
    await _move(conn, appeal, actor, Action.ROUTE, _routed_status(decision),
                payload=_routing_payload(decision))


async def _move(conn: BaseDBAsyncClient, appeal: Appeal, actor: str, action: Action,
                status: AppealStatus, *, reason: str = "",
                payload: dict[str, Any] | None = None) -> None:
    """Write the step only if nobody changed the appeal since it was read."""
    previous = appeal.status
    appeal.status = status
    changed = await Appeal.filter(id=appeal.id, revision=appeal.revision).using_db(conn).update(
        **{name: getattr(appeal, name) for name in MUTABLE_FIELDS},
        revision=appeal.revision + 1, updated_at=datetime.now(UTC))
    if changed != 1:
        raise DomainError.of(None, "Обращение только что изменили; обновите его и повторите",
                             ErrorCode.CONFLICT)
    appeal.revision += 1
    await _event(conn, appeal, actor, action, previous, status, reason=reason,
                 payload=payload)


async def _event(conn: BaseDBAsyncClient, appeal: Appeal, actor: str, action: Action,
                 from_status: AppealStatus | None, to_status: AppealStatus, *,
                 reason: str = "", payload: dict[str, Any] | None = None) -> None:
    event = await AppealEvent.create(
        appeal=appeal, actor=actor, action=action.value,
        from_status=from_status.value if from_status else None, to_status=to_status.value,
        reason=reason, payload=payload or {}, using_db=conn)
    # The event and the message announcing it commit together (transactional outbox).
    await emit(conn, APPEAL_EVENTS, {"appeal_id": appeal.id, "event_ids": [event.id]},
               f"appeal-event:{event.id}")


