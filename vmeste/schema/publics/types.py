"""GraphQL types of official pages, their snapshots and compliance. Everything is public
but the responsible official, shown to the body's staff, the territory's
administrators and its auditors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from vmeste.platform.i18n import _
from vmeste.platform.publics import access, models
from vmeste.platform.publics.compliance_rules import Rule
from vmeste.schema.reference.types import Organization, Territory

PageStatus = strawberry.enum(models.PageStatus, name="OfficialPageStatus")
ResultSource = strawberry.enum(models.ResultSource, name="ComplianceSource")


def _pks(node_ids: Iterable[str]) -> list[int]:
    return [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1 else -1
            for raw in node_ids]


@strawberry.type(description="A compliance rule, in its current version.")
class ComplianceRule:
    code: str
    version: int
    title: str
    source: ResultSource  # type: ignore[valid-type]
    networks: list[str]

    @classmethod
    def of(cls, rule: Rule) -> Self:
        return cls(code=rule.code, version=rule.version, title=_(rule.title),
                   source=rule.source, networks=list(rule.networks))


@strawberry.type(description="One rule's result on a snapshot; passed is null while a "
                             "declared rule awaits its confirmation.")
class ComplianceCheck:
    rule_code: str
    rule_version: int
    passed: bool | None
    source: ResultSource  # type: ignore[valid-type]
    evidence: JSON
    checked_at: datetime
    snapshot_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.ComplianceResult) -> Self:
        return cls(rule_code=row.rule_code, rule_version=row.rule_version, passed=row.passed,
                   source=row.source, evidence=row.evidence, checked_at=row.checked_at,
                   snapshot_id=row.snapshot_id)


@strawberry.type(description="What a read of a page found; error is set when it failed.")
class PageSnapshot(relay.Node):
    id: relay.NodeID[int]
    taken_at: datetime
    profile: JSON
    posts_in_window: int | None
    error: str

    @classmethod
    def from_model(cls, row: models.PageSnapshot) -> Self:
        return cls(id=row.id, taken_at=row.taken_at, profile=row.profile,
                   posts_in_window=row.posts_in_window, error=row.error)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _pks(node_ids)
        found = {r.id: r for r in await models.PageSnapshot.filter(id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]


@strawberry.type(description="A body's declaration of a rule no network shows, and the "
                             "regional centre's decision (confirmed null: awaiting).")
class PageDeclaration(relay.Node):
    id: relay.NodeID[int]
    rule_code: str
    value: bool
    note: str
    declared_at: datetime
    confirmed: bool | None
    confirmed_at: datetime | None
    reason: str

    @classmethod
    def from_model(cls, row: models.PageDeclaration) -> Self:
        return cls(id=row.id, rule_code=row.rule_code, value=row.value, note=row.note,
                   declared_at=row.declared_at, confirmed=row.confirmed,
                   confirmed_at=row.confirmed_at, reason=row.reason)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _pks(node_ids)
        found = {r.id: r for r in await models.PageDeclaration.filter(id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]


@strawberry.type(description="An official page of a body on a social network.")
class OfficialPage(relay.Node):
    id: relay.NodeID[int]
    network: str
    page_ref: str
    screen_name: str
    url: str
    registered_name: str
    status: PageStatus  # type: ignore[valid-type]
    next_snapshot_at: datetime | None
    created_at: datetime
    row: strawberry.Private[models.OfficialPage]

    @classmethod
    def from_model(cls, row: models.OfficialPage) -> Self:
        return cls(id=row.id, network=row.network, page_ref=row.page_ref,
                   screen_name=row.screen_name, url=row.url,
                   registered_name=row.registered_name, status=row.status,
                   next_snapshot_at=row.next_snapshot_at, created_at=row.created_at, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _pks(node_ids)
        found = {r.id: r for r in await models.OfficialPage.filter(id__in=ids)}
        return [cls.from_model(found[pk]) if pk in found else None for pk in ids]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> Organization:
        return await info.context.loaders.organization.load(self.row.organization_id)

    @strawberry.field
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The official answering for the page (null unless the "
                                  "caller is the body's staff, an administrator or an "
                                  "auditor of its territory).")
    def responsible_name(self, info: strawberry.Info) -> str | None:
        return (self.row.responsible_name
                if access.sees_responsible(info.context.principal, self.row) else None)

    @strawberry.field(description="The responsible official's position (as responsibleName).")
    def responsible_position(self, info: strawberry.Info) -> str | None:
        return (self.row.responsible_position
                if access.sees_responsible(info.context.principal, self.row) else None)

    @strawberry.field(description="Each rule's latest result on the latest snapshot.")
    async def latest_results(self, info: strawberry.Info) -> list[ComplianceCheck]:
        checks = await info.context.loaders.page_checks.load(self.row.id)
        return [ComplianceCheck.from_model(row) for row in checks.values()]

    @strawberry.field(description="Whether the latest snapshot passes every rule (null "
                                  "before the first snapshot).")
    async def compliant(self, info: strawberry.Info) -> bool | None:
        checks = await info.context.loaders.page_checks.load(self.row.id)
        return None if not checks else all(row.passed for row in checks.values())

    @strawberry.field(description="The declarations, newest first.")
    async def declarations(self) -> list[PageDeclaration]:
        rows = await models.PageDeclaration.filter(page_id=self.row.id).order_by("-id")
        return [PageDeclaration.from_model(row) for row in rows]


@strawberry.type(description="Of a territory's pages with a snapshot, how many pass a rule "
                             "(every rule when ruleCode is null).")
class ComplianceShare:
    territory_code: str
    rule_code: str | None
    pages: int
    passing: int
    share: float
