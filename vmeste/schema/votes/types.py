"""GraphQL types of votes and their options."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

import strawberry
from strawberry import relay

from vmeste.platform.votes import access, models
from vmeste.schema.compiled.declare import backed_by, to_one
from vmeste.schema.errors import MAX_INT_ID
from vmeste.schema.reference.types import Territory

VoteStatus = strawberry.enum(models.VoteStatus, name="VoteStatus")
WinnerRule = strawberry.enum(models.WinnerRule, name="WinnerRule",
                             description="How a budget vote's winners are chosen: GREEDY (by "
                                         "votes, skipping what no longer fits) or EQUAL_SHARES "
                                         "(the method of equal shares, completed greedily).")


class BuiltInMethod(StrEnum):
    """The built-in ``vote_method`` strategies, by name (``vmeste.plugins.voting``)."""

    SINGLE = "single"
    APPROVAL = "approval"
    CUMULATIVE = "cumulative"
    BUDGET = "budget"


VoteMethod = strawberry.enum(
    BuiltInMethod, name="VoteMethod",
    description="SINGLE: one option; APPROVAL: up to maxChoices; CUMULATIVE: points spread "
                "over options; BUDGET: projects within the budget.")


def _node_ids(node_ids: Iterable[str]) -> list[int]:
    """Relay node ids as keys; anything that is no 32-bit key is -1 (found nowhere)."""
    return [int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_INT_ID else -1
            for raw in node_ids]


@backed_by(models.VoteOption)
@strawberry.type(description="An option of a vote: an object, a design or a project.")
class VoteOption(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    cost: int | None = strawberry.field(description="A project's cost in roubles (budget "
                                                    "votes).")
    latitude: float | None
    longitude: float | None
    row: strawberry.Private[models.VoteOption]

    @classmethod
    def from_model(cls, row: models.VoteOption) -> Self:
        return cls(id=row.id, title=row.title, description=row.description, cost=row.cost,
                   latitude=row.latitude, longitude=row.longitude, row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _node_ids(node_ids)
        visible = access.visible_votes(info.context.principal, prefix="vote__")
        rows = {row.id: row for row in await models.VoteOption.filter(visible, id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(description="Addresses of the option's photos.")
    def photos(self) -> list[str]:
        return list(self.row.photos)

    @strawberry.field(description="Only residents of this territory may choose the option; "
                                  "null: every voter.", metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory | None:
        if self.row.territory_id is None:
            return None
        return await info.context.loaders.territory.load(self.row.territory_id)


@backed_by(models.Vote)
@strawberry.type(description="A vote on objects, projects or a budget: DRAFT → OPEN → CLOSED → "
                             "RESULTS_PUBLISHED.")
class Vote(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    method: VoteMethod  # type: ignore[valid-type]
    status: VoteStatus  # type: ignore[valid-type]
    max_choices: int | None = strawberry.field(description="APPROVAL: the most options a "
                                                           "ballot may choose.")
    points: int | None = strawberry.field(description="CUMULATIVE: the points a voter spreads.")
    max_points_per_option: int | None = strawberry.field(
        description="CUMULATIVE: the most points on one option (null: up to points).")
    budget: int | None = strawberry.field(description="BUDGET: the total, in roubles.")
    min_budget_share: float | None = strawberry.field(
        description="BUDGET: the least share of the budget a ballot spends, from 0 to 1.")
    min_projects: int | None
    max_projects: int | None
    winners_count: int = strawberry.field(description="How many options win (SINGLE, APPROVAL, "
                                                      "CUMULATIVE).")
    winner_rule: WinnerRule  # type: ignore[valid-type]
    min_age: int | None = strawberry.field(description="Voters' least age on the day they vote.")
    verified_only: bool
    allow_revote: bool = strawberry.field(description="A voter may replace their ballot until "
                                                      "closing.")
    live_results: bool = strawberry.field(description="Results by subscription while open.")
    min_group_size: int = strawberry.field(description="Breakdown groups smaller than this are "
                                                       "suppressed.")
    opens_at: datetime | None
    closes_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None
    board_root: str | None = strawberry.field(description="The bulletin board's Merkle root, "
                                                          "fixed at closing.")
    board_size: int | None = strawberry.field(description="How many receipts the board holds.")
    is_template: bool = strawberry.field(description="A template regions and municipalities "
                                                     "make votes from; never voted on itself.")
    row: strawberry.Private[models.Vote]

    @classmethod
    def from_model(cls, row: models.Vote) -> Self:
        return cls(
            id=row.id, title=row.title, description=row.description,
            method=BuiltInMethod(row.method), status=row.status, max_choices=row.max_choices,
            points=row.points, max_points_per_option=row.max_points_per_option,
            budget=row.budget, min_budget_share=row.min_budget_share,
            min_projects=row.min_projects, max_projects=row.max_projects,
            winners_count=row.winners_count, winner_rule=row.winner_rule,
            min_age=row.min_age, verified_only=row.verified_only,
            allow_revote=row.allow_revote, live_results=row.live_results,
            min_group_size=row.min_group_size, opens_at=row.opens_at, closes_at=row.closes_at,
            opened_at=row.opened_at, closed_at=row.closed_at, published_at=row.published_at,
            board_root=row.board_root, board_size=row.board_size, is_template=row.is_template,
            row=row)

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str],
                            required: bool = False) -> list[Any]:
        ids = _node_ids(node_ids)
        visible = access.visible_votes(info.context.principal)
        rows = {row.id: row for row in await models.Vote.filter(visible, id__in=ids)}
        return [cls.from_model(rows[pk]) if pk in rows else None for pk in ids]

    @strawberry.field(description="The audience: residents of this territory.",
                      metadata=to_one("territory"))
    async def territory(self, info: strawberry.Info) -> Territory:
        return await info.context.loaders.territory.load(self.row.territory_id)

    @strawberry.field(description="The options, in their order.")
    async def options(self, info: strawberry.Info) -> list[VoteOption]:
        rows = await info.context.loaders.vote_options.load(self.row.id)
        return [VoteOption.from_model(row) for row in sorted(rows, key=lambda r: r.position)]

    @strawberry.field(description="The template this vote was made from; null for none, or "
                                  "when the caller may not see it.")
    async def template(self, info: strawberry.Info) -> Vote | None:
        if self.row.template_id is None:
            return None
        found: models.Vote | None = await info.context.loaders.vote.load(self.row.template_id)
        if found is None or not access.may_see(info.context.principal, found):
            return None
        return Vote.from_model(found)
