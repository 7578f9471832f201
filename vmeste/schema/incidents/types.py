"""GraphQL types of incidents, their posts, answers and history. Everything here is
for staff: an incident is shown only to those :func:`visible_incidents` lets see it, and
its nested rows are read through the incident (never by their own ids alone)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from vmeste.platform.i18n import translate
from vmeste.platform.incidents import models
from vmeste.platform.incidents.access import monitors, visible_incidents
from vmeste.platform.publics.topics import NAMES
from vmeste.schema.attachments.types import FILES, AttachmentNode
from vmeste.schema.publics.types import OfficialPage
from vmeste.schema.reference.types import Category, Organization, Territory

IncidentStatus = strawberry.enum(models.IncidentStatus, name="IncidentStatus")
PostState = strawberry.enum(models.PostState, name="SocialPostState")
ReplyKind = strawberry.enum(models.ReplyKind, name="IncidentReplyKind")
ReplyStatus = strawberry.enum(models.ReplyStatus, name="IncidentReplyStatus")
SatisfactionSource = strawberry.enum(models.SatisfactionSource, name="SatisfactionSource")


#: How many posts an incident shows (a long thread is read page by page elsewhere).
POSTS_SHOWN = 100


def _pks(node_ids: Iterable[str]) -> list[int]:
    return [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**63 - 1 else -1
            for raw in node_ids]


def topic_name(code: str) -> str:
    return translate(NAMES[code]) if code in NAMES else code


@strawberry.type(description="A rubric of the incident classifier.")
class IncidentTopic:
    code: str
    name: str


@strawberry.type(description="A post or a comment on a social network, as fetched.")
class SocialPost(relay.Node):
    id: relay.NodeID[int]
    network: str
    post_ref: str
    page_ref: str
    parent_ref: str
    author_ref: str
    text: str
    url: str
    latitude: float | None
    longitude: float | None
    posted_at: datetime
    ingested_at: datetime
    state: PostState  # type: ignore[valid-type]
    topic: str

    @classmethod
    def from_model(cls, row: models.SocialPost) -> Self:
        return cls(id=row.id, network=row.network, post_ref=row.post_ref,
                   page_ref=row.page_ref, parent_ref=row.parent_ref, author_ref=row.author_ref,
                   text=row.text, url=row.url, latitude=row.latitude, longitude=row.longitude,
                   posted_at=row.posted_at, ingested_at=row.ingested_at, state=row.state,
                   topic=row.topic)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _pks(node_ids)
        visible = await visible_incidents(info.context.principal, "incident__")
        found = {r.id: r for r in await models.SocialPost.filter(visible, id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]


@strawberry.type(description="An answer to an incident: drafted, approved by a responsible "
                             "person, published once from the official account.")
class IncidentReply(relay.Node):
    id: relay.NodeID[int]
    kind: ReplyKind  # type: ignore[valid-type]
    status: ReplyStatus  # type: ignore[valid-type]
    text: str
    parent_ref: str
    approved_at: datetime | None
    comment_ref: str = strawberry.field(description="The published comment's id on the "
                                                    "network (empty until published).")
    uncertain: bool
    attempts: int
    error: str
    published_at: datetime | None
    created_at: datetime

    @classmethod
    def from_model(cls, row: models.IncidentReply) -> Self:
        return cls(id=row.id, kind=row.kind, status=row.status, text=row.text,
                   parent_ref=row.parent_ref, approved_at=row.approved_at,
                   comment_ref=row.comment_ref, uncertain=row.uncertain, attempts=row.attempts,
                   error=row.error, published_at=row.published_at, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _pks(node_ids)
        visible = await visible_incidents(info.context.principal, "incident__")
        found = {r.id: r for r in await models.IncidentReply.filter(visible, id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]


@strawberry.type(description="One step in an incident's history.")
class IncidentEvent:
    at: datetime
    action: str
    from_status: str | None
    to_status: str
    reason: str

    @classmethod
    def from_model(cls, row: models.IncidentEvent) -> Self:
        return cls(at=row.at, action=row.action, from_status=row.from_status,
                   to_status=row.to_status, reason=row.reason)


@strawberry.type(description="Posts about one problem, triaged, routed to a body and "
                             "answered from the official account on an SLA.")
class Incident(relay.Node):
    id: relay.NodeID[int]
    status: IncidentStatus  # type: ignore[valid-type]
    topic: str
    topic_confidence: float
    topic_confirmed: bool
    post_count: int
    first_posted_at: datetime
    last_posted_at: datetime
    registered_at: datetime
    reaction_due_at: datetime | None
    answer_due_at: datetime | None
    reacted_at: datetime | None
    first_response_at: datetime | None
    first_response_seconds: int | None
    answered_at: datetime | None
    reaction_late: bool | None
    answer_late: bool | None
    escalated: bool
    satisfaction: int | None
    satisfaction_source: SatisfactionSource | None  # type: ignore[valid-type]
    row: strawberry.Private[models.Incident]

    @classmethod
    def from_model(cls, row: models.Incident) -> Self:
        return cls(
            id=row.id, status=row.status, topic=row.topic, topic_confidence=row.topic_confidence,
            topic_confirmed=row.topic_confirmed, post_count=row.post_count,
            first_posted_at=row.first_posted_at, last_posted_at=row.last_posted_at,
            registered_at=row.registered_at, reaction_due_at=row.reaction_due_at,
            answer_due_at=row.answer_due_at, reacted_at=row.reacted_at,
            first_response_at=row.first_response_at,
            first_response_seconds=row.first_response_seconds, answered_at=row.answered_at,
            reaction_late=row.reaction_late, answer_late=row.answer_late,
            escalated=row.escalated, satisfaction=row.satisfaction,
            satisfaction_source=row.satisfaction_source, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _pks(node_ids)
        visible = await visible_incidents(info.context.principal)
        found = {r.id: r for r in await models.Incident.filter(visible, id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]

    @strawberry.field(description="Files staff attached (with a draft answer).",
                      metadata=FILES)
    async def attachments(self, info: strawberry.Info) -> list[AttachmentNode]:
        return await info.context.loaders.incident_attachments.load(self.row.id)

    @strawberry.field(description="The topic's name in the caller's language.")
    def topic_name(self) -> str:
        return topic_name(self.row.topic)

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field
    async def category(self, info: strawberry.Info) -> Category | None:
        if self.row.category_id is None:
            return None
        return await info.context.loaders.category.load(self.row.category_id)

    @strawberry.field(description="The body the incident is routed to.")
    async def organization(self, info: strawberry.Info) -> Organization | None:
        if self.row.organization_id is None:
            return None
        return await info.context.loaders.organization.load(self.row.organization_id)

    @strawberry.field(description="The official page answers are published from.")
    async def official_page(self, info: strawberry.Info) -> OfficialPage | None:
        if self.row.official_page_id is None:
            return None
        return await info.context.loaders.incident_page.load(self.row.official_page_id)

    @strawberry.field(description="The incident this one was merged into.")
    def merged_into_id(self) -> relay.GlobalID | None:
        pk = self.row.merged_into_id
        return None if pk is None else relay.GlobalID("Incident", str(pk))

    @strawberry.field(description="The appeal this incident became.")
    def appeal_id(self) -> relay.GlobalID | None:
        pk = self.row.appeal_id
        return None if pk is None else relay.GlobalID("Appeal", str(pk))

    @strawberry.field(description="Why the routing engine chose the body (for the "
                                  "territory's monitoring staff; null for others).")
    def routing(self, info: strawberry.Info) -> JSON | None:
        return self.row.routing if monitors(info.context.principal,
                                            self.row.territory_path) else None

    @strawberry.field(description="The first 100 posts, in the order they were stored "
                                  "(postCount has them all).")
    async def posts(self, info: strawberry.Info) -> list[SocialPost]:
        return (await info.context.loaders.incident_posts.load(self.row.id))[:POSTS_SHOWN]

    @strawberry.field(description="The answers, oldest first.")
    async def replies(self, info: strawberry.Info) -> list[IncidentReply]:
        return await info.context.loaders.incident_replies.load(self.row.id)

    @strawberry.field(description="The history, oldest first.")
    async def history(self, info: strawberry.Info) -> list[IncidentEvent]:
        rows = await info.context.loaders.incident_events.load(self.row.id)
        return [IncidentEvent.from_model(row) for row in rows]


@strawberry.type(description="Which posts become incidents: those on its official pages, "
                             "or with one of its keywords, in its territory.")
class MonitoringRule(relay.Node):
    id: relay.NodeID[int]
    name: str
    keywords: list[str]
    active: bool
    fetch_every_minutes: int
    next_fetch_at: datetime | None
    created_at: datetime
    row: strawberry.Private[models.MonitoringRule]

    @classmethod
    def from_model(cls, row: models.MonitoringRule) -> Self:
        return cls(id=row.id, name=row.name, keywords=list(row.keywords), active=row.active,
                   fetch_every_minutes=row.fetch_every_minutes, next_fetch_at=row.next_fetch_at,
                   created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        from vmeste.schema.incidents.queries import visible_rules

        ids = _pks(node_ids)
        found = {r.id: r for r in await models.MonitoringRule.filter(
            visible_rules(info.context.principal), id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The official pages whose posts the rule takes.")
    async def pages(self, info: strawberry.Info) -> list[OfficialPage]:
        found = await info.context.loaders.incident_page.load_many(
            [int(pk) for pk in self.row.page_ids])
        return [page for page in found if page is not None]
