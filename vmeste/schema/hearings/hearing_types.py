"""GraphQL types of hearings: the hearing, its stages' dates and its history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.hearings import access, models, schedule
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.hearings.template_types import (
    DayUnit,
    HearingKind,
    HearingStage,
    ProcedureTemplate,
)
from vmeste.schema.reference.types import Organization, Territory

HearingStatus = strawberry.enum(models.HearingStatus, name="HearingStatus")


@strawberry.type(description="A stage's dates, its first and last day inclusive.")
class SchedulePeriod:
    stage: HearingStage  # type: ignore[valid-type]
    starts_on: date
    ends_on: date
    length: int
    unit: DayUnit  # type: ignore[valid-type]


@strawberry.type(description="A step in a hearing's life; its author is shown to its "
                             "organisers and auditors only.")
class HearingEvent:
    at: datetime
    action: str
    from_status: HearingStatus | None  # type: ignore[valid-type]
    to_status: HearingStatus  # type: ignore[valid-type]
    reason: str
    actor: str | None


def visible_hearings(info: strawberry.Info) -> Any:
    return access.visible_hearings(info.context.principal)


@backed_by(models.Hearing)
@strawberry.type(description="A public discussion or hearing on a draft act. Drafts are "
                             "visible to their organisers and auditors only.")
class Hearing(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    kind: HearingKind  # type: ignore[valid-type]
    document_type: str
    status: HearingStatus  # type: ignore[valid-type]
    notice_text: str
    notice_published_where: str
    notice_published_at: datetime | None
    exposition_place: str
    exposition_hours: str
    meeting_place: str
    meeting_at: datetime | None
    published_at: datetime | None
    published_where: str
    cancel_reason: str
    created_at: datetime
    row: strawberry.Private[models.Hearing]

    @classmethod
    def from_model(cls, row: models.Hearing) -> Self:
        return cls(id=row.id, title=row.title, description=row.description, kind=row.kind,
                   document_type=row.document_type, status=row.status,
                   notice_text=row.notice_text,
                   notice_published_where=row.notice_published_where,
                   notice_published_at=row.notice_published_at,
                   exposition_place=row.exposition_place,
                   exposition_hours=row.exposition_hours, meeting_place=row.meeting_place,
                   meeting_at=row.meeting_at, published_at=row.published_at,
                   published_where=row.published_where, cancel_reason=row.cancel_reason,
                   created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
               for raw in node_ids]
        rows = {row.id: row for row in await models.Hearing.filter(visible_hearings(info),
                                                                   id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(description="The territory the draft concerns.",
                      metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The body that organises the procedure.",
                      metadata=to_one("organiser"))
    async def organiser(self, info: strawberry.Info) -> Organization:
        return await info.context.loaders.organization.load(self.row.organiser_id)

    @strawberry.field(description="The template version the hearing runs on.",
                      metadata=to_one("template"))
    async def template(self, info: strawberry.Info) -> ProcedureTemplate:
        return await info.context.loaders.procedure_template.load(self.row.template_id)

    @strawberry.field(description="Every stage's dates, fixed by the notice (empty before).")
    def schedule(self) -> list[SchedulePeriod]:
        return [SchedulePeriod(stage=p.stage, starts_on=p.starts_on, ends_on=p.ends_on,
                               length=p.length, unit=p.unit)
                for p in schedule.periods_of(self.row.schedule)]

    @strawberry.field(description="The hearing's history, from the first step to the last.")
    async def history(self, info: strawberry.Info) -> list[HearingEvent]:
        staff = access.is_reader(info.context.principal, self.row.territory_path,
                                 self.row.organiser_id)
        rows = await info.context.loaders.hearing_events.load(self.row.id)
        return [HearingEvent(at=e.at, action=e.action, from_status=e.from_status,
                             to_status=e.to_status, reason=e.reason,
                             actor=e.actor if staff else None) for e in rows]

    @strawberry.field(description="Whether the caller is subscribed to its stages.")
    async def subscribed(self, info: strawberry.Info) -> bool:
        user = info.context.principal.user
        if user is None:
            return False
        return bool(await info.context.loaders.hearing_subscribed.load((user.id, self.row.id)))
