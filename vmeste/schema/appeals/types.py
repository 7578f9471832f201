"""GraphQL types of appeals, their history, competence rules and routing answers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from vmeste.platform.appeals import access, models
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import TERRITORY_ROLES
from vmeste.schema.appeals.desk_types import AppealContact, appeal_contact
from vmeste.schema.attachments.types import FILES, AttachmentNode
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.deadlines.types import Deadline, appeal_deadline
from vmeste.schema.identity.types import UserNode
from vmeste.schema.reference.types import Category, Organization, Territory

AppealStatus = strawberry.enum(models.AppealStatus, name="AppealStatus")
Channel = strawberry.enum(models.Channel, name="Channel")
ApplicantType = strawberry.enum(models.ApplicantType, name="ApplicantType")
LegalTrack = strawberry.enum(models.LegalTrack, name="LegalTrack")
RuleStatus = strawberry.enum(models.RuleStatus, name="RuleStatus")


@strawberry.type(description="A step in an appeal's life. Its author is visible to employees only.")
class AppealEvent:
    at: datetime
    action: str
    from_status: AppealStatus | None  # type: ignore[valid-type]
    to_status: AppealStatus  # type: ignore[valid-type]
    reason: str
    payload: JSON
    actor: str | None


@strawberry.type(description="The applicant; visible to employees who may see the appeal.")
class Applicant:
    kind: ApplicantType  # type: ignore[valid-type]
    last_name: str
    first_name: str
    middle_name: str
    org_name: str
    org_ogrn: str
    verified: bool


@backed_by(models.Appeal, number="id")
@strawberry.type(description="A citizen's message or appeal.")
class Appeal(relay.Node):
    id: relay.NodeID[int]
    number: int = strawberry.field(description="The appeal's number that notifications name "
                                               "(«Appeal No. …»).")
    status: AppealStatus  # type: ignore[valid-type]
    channel: Channel  # type: ignore[valid-type]
    applicant_type: ApplicantType  # type: ignore[valid-type]
    legal_track: LegalTrack  # type: ignore[valid-type]
    text: str
    address: str
    latitude: float | None
    longitude: float | None
    answer: str | None
    rating: int | None
    rework_count: int
    created_at: datetime
    updated_at: datetime
    answered_at: datetime | None
    routing_trace: JSON | None = strawberry.field(
        description="Why the appeal went to this organization: strategies and rules.")
    row: strawberry.Private[models.Appeal]

    @classmethod
    def from_model(cls, row: models.Appeal) -> Self:
        return cls(
            id=row.id, number=row.id, status=row.status, channel=row.channel,
            applicant_type=row.applicant_type, legal_track=row.legal_track, text=row.text,
            address=row.address, latitude=row.latitude, longitude=row.longitude,
            answer=row.answer, rating=row.rating, rework_count=row.rework_count,
            created_at=row.created_at, updated_at=row.updated_at,
            answered_at=row.answered_at, routing_trace=row.routing_trace, row=row,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        readable = await access.readable_appeals(info.context.principal)
        rows = {row.id: row for row in await models.Appeal.filter(readable, id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(metadata=to_one("category"))
    async def category(self, info: strawberry.Info) -> Category:
        return await info.context.loaders.category.load(self.row.category_id)

    @strawberry.field(metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The responsible organization; null while in the moderation "
                                  "queue.", metadata=to_one("organization"))
    async def organization(self, info: strawberry.Info) -> Organization | None:
        return await _organization(info, self.row.organization_id)

    @strawberry.field(description="The organization whose site holds the widget.",
                      metadata=to_one("target_organization"))
    async def target_organization(self, info: strawberry.Info) -> Organization | None:
        return await _organization(info, self.row.target_organization_id)

    @strawberry.field(description="The organization whose actions the applicant complains about.",
                      metadata=to_one("complained_organization"))
    async def complained_organization(self, info: strawberry.Info) -> Organization | None:
        return await _organization(info, self.row.complained_organization_id)

    @strawberry.field(description="Files the applicant sent with the appeal and its "
                                  "clarifications.", metadata=FILES)
    async def attachments(self, info: strawberry.Info) -> list[AttachmentNode]:
        return await info.context.loaders.appeal_attachments.load(self.row.id)

    @strawberry.field(description="Files sent with the answer.", metadata=FILES)
    async def answer_attachments(self, info: strawberry.Info) -> list[AttachmentNode]:
        return await info.context.loaders.answer_attachments.load(self.row.id)

    @strawberry.field(description="The appeal's history, from the first step to the last.")
    async def events(self, info: strawberry.Info) -> list[AppealEvent]:
        staff = not _is_applicant(info, self.row)
        rows = await info.context.loaders.appeal_events.load(self.row.id)
        return [AppealEvent(at=e.at, action=e.action, from_status=e.from_status,
                            to_status=e.to_status, reason=e.reason, payload=e.payload,
                            actor=e.actor if staff else None) for e in rows]

    @strawberry.field(description="The assigned executor. Visible to employees; null for the "
                                  "applicant: employees' names are not shown to applicants.")
    async def executor(self, info: strawberry.Info) -> UserNode | None:
        if self.row.executor_id is None or _is_applicant(info, self.row):
            return None
        user: User | None = await info.context.loaders.user.load(self.row.executor_id)
        return UserNode.from_model(user) if user is not None else None

    @strawberry.field(description="The answer deadline; null until the appeal is registered.")
    async def deadline(self, info: strawberry.Info) -> Deadline | None:
        if self.row.registered_at is None:
            return None
        return await appeal_deadline(info, self.row)

    @strawberry.field(description="The operator channel: how the applicant came, and their "
                                  "details as given (masked outside the responsible body).")
    async def contact(self, info: strawberry.Info) -> AppealContact | None:
        return await appeal_contact(info, self.row)

    @strawberry.field
    async def applicant(self, info: strawberry.Info) -> Applicant | None:
        if _profile_hidden(info, self.row):
            return None
        user: User | None = await info.context.loaders.user.load(self.row.applicant_id)
        if user is None:
            return None
        return Applicant(kind=user.kind.value, last_name=user.last_name,
                         first_name=user.first_name, middle_name=user.middle_name,
                         org_name=user.org_name, org_ogrn=user.org_ogrn,
                         verified=user.verified)


def _profile_hidden(info: strawberry.Info, row: models.Appeal) -> bool:
    """An operator names a citizen by subject; showing them that citizen's profile would
    turn any subject into a name. Staff who answer the appeal (the body's executors and
    administrators, territory roles over it) still see it."""
    if row.channel != models.Channel.OPERATOR or _is_applicant(info, row):
        return False
    principal = info.context.principal
    answering = principal.organization_ids((Role.EXECUTOR, Role.ORG_ADMIN))
    return (row.organization_id not in answering
            and not principal.covers_territory(row.territory_path, TERRITORY_ROLES))


def _is_applicant(info: strawberry.Info, row: models.Appeal) -> bool:
    user = info.context.principal.user
    return user is not None and user.id == row.applicant_id


async def _organization(info: strawberry.Info, organization_id: int | None
                        ) -> Organization | None:
    if organization_id is None:
        return None
    return await info.context.loaders.organization.load(organization_id)


@strawberry.type(description="A competence rule: category × territory → organization.")
class CompetenceRule:
    id: int
    priority: int
    applicant_type: ApplicantType | None  # type: ignore[valid-type]
    channel: Channel | None  # type: ignore[valid-type]
    valid_from: date | None
    valid_to: date | None
    status: RuleStatus  # type: ignore[valid-type]
    version: int
    retire: bool
    author: str
    updated_at: datetime
    replaces_id: int | None
    category_id: strawberry.Private[int]
    territory_id: strawberry.Private[int]
    organization_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.CompetenceRule) -> Self:
        return cls(id=row.id, priority=row.priority, applicant_type=row.applicant_type,
                   channel=row.channel, valid_from=row.valid_from, valid_to=row.valid_to,
                   status=row.status, version=row.version, retire=row.retire,
                   author=row.author, updated_at=row.updated_at, replaces_id=row.replaces_id,
                   category_id=row.category_id, territory_id=row.territory_id,
                   organization_id=row.organization_id)

    @strawberry.field
    async def category(self, info: strawberry.Info) -> Category:
        return await info.context.loaders.category.load(self.category_id)

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.territory_id)

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> Organization:
        return await info.context.loaders.organization.load(self.organization_id)


@strawberry.type(description="Two rules that no priority step tells apart.")
class RuleConflict:
    first_rule_id: int
    second_rule_id: int
    message: str


@strawberry.type(description="A routing decision made without creating an appeal.")
class RoutingSimulation:
    fallback: bool = strawberry.field(description="true: to the region's moderation queue.")
    strategy: str
    rule_id: int | None
    trace: JSON
    organization_id: strawberry.Private[int | None]
    territory_id: strawberry.Private[int]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> Organization | None:
        return await _organization(info, self.organization_id)

    @strawberry.field(description="The territory the decision was made for.")
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.territory_id)


@strawberry.type
class CoverageGap:
    territory_code: str
    territory_name: str
    category_code: str
    category_name: str


@strawberry.type(description="Category × territory pairs that no rule covers.")
class RoutingCoverage:
    pairs_checked: int
    uncovered_count: int
    uncovered: list[CoverageGap] = strawberry.field(
        description="The first uncovered pairs (at most limit).")
