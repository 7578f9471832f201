"""The organiser's steps: create a vote (or a template, or a vote from a template), edit
the draft, open it, close it, publish its results."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from vmeste.platform.votes import models
from vmeste.platform.votes.drafts import OptionInput, VoteInput
from vmeste.schema.errors import UserError, run_mutation
from vmeste.schema.votes.context import vote_services
from vmeste.schema.votes.queries import vote_pk
from vmeste.schema.votes.types import Vote, VoteMethod, WinnerRule


@strawberry.type
class VotePayload:
    vote: Vote | None
    user_errors: list[UserError]


@strawberry.input(description="An option: an object, a design or a project.")
class VoteOptionInput:
    title: str
    description: str = ""
    cost: int | None = strawberry.field(default=None, description="In roubles; required in "
                                                                  "budget votes.")
    territory_code: str | None = strawberry.field(
        default=None, description="Only residents of this territory (inside the vote's) may "
                                  "choose it.")
    photos: list[str] = strawberry.field(default_factory=list,
                                         description="http(s) addresses, at most 10.")
    latitude: float | None = None
    longitude: float | None = None

    def option(self) -> OptionInput:
        return OptionInput(title=self.title, description=self.description, cost=self.cost,
                           territory_code=self.territory_code, photos=tuple(self.photos),
                           latitude=self.latitude, longitude=self.longitude)


_RULES_FROM_TEMPLATE = " Null: the default, or the template's with templateId."


@strawberry.input(description="A vote's settings. With templateId, the method and every rule "
                              "come from the template and must be left null.")
class CreateVoteInput:
    title: str
    territory_code: str = strawberry.field(description="The audience: residents of this "
                                                       "territory.")
    method: VoteMethod | None = None  # type: ignore[valid-type]
    description: str = ""
    max_choices: int | None = None
    points: int | None = None
    max_points_per_option: int | None = None
    budget: int | None = None
    min_budget_share: float | None = None
    min_projects: int | None = None
    max_projects: int | None = None
    winners_count: int | None = strawberry.field(default=None,
                                                 description="Default 1." + _RULES_FROM_TEMPLATE)
    winner_rule: WinnerRule | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default GREEDY." + _RULES_FROM_TEMPLATE)
    min_age: int | None = None
    verified_only: bool | None = strawberry.field(default=None, description="Default true."
                                                  + _RULES_FROM_TEMPLATE)
    allow_revote: bool | None = strawberry.field(default=None, description="Default false."
                                                 + _RULES_FROM_TEMPLATE)
    live_results: bool | None = strawberry.field(default=None, description="Default false."
                                                 + _RULES_FROM_TEMPLATE)
    min_group_size: int | None = strawberry.field(
        default=None, description="Default VMESTE_MIN_GROUP_SIZE (10)." + _RULES_FROM_TEMPLATE)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    options: list[VoteOptionInput] = strawberry.field(default_factory=list,
                                                      description="At least two (a template "
                                                                  "may have none).")
    is_template: bool = False
    template_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Make the vote from this template (its territory inside "
                                  "the template's).")


@strawberry.input(description="Changes to a draft; a field left out stays as it is, "
                              "options replaces every option (they get new ids).")
class UpdateVoteInput:
    id: relay.GlobalID
    title: str | None = strawberry.UNSET
    territory_code: str | None = strawberry.UNSET
    method: VoteMethod | None = strawberry.UNSET  # type: ignore[valid-type]
    description: str | None = strawberry.UNSET
    max_choices: int | None = strawberry.UNSET
    points: int | None = strawberry.UNSET
    max_points_per_option: int | None = strawberry.UNSET
    budget: int | None = strawberry.UNSET
    min_budget_share: float | None = strawberry.UNSET
    min_projects: int | None = strawberry.UNSET
    max_projects: int | None = strawberry.UNSET
    winners_count: int | None = strawberry.UNSET
    winner_rule: WinnerRule | None = strawberry.UNSET  # type: ignore[valid-type]
    min_age: int | None = strawberry.UNSET
    verified_only: bool | None = strawberry.UNSET
    allow_revote: bool | None = strawberry.UNSET
    live_results: bool | None = strawberry.UNSET
    min_group_size: int | None = strawberry.UNSET
    opens_at: datetime | None = strawberry.UNSET
    closes_at: datetime | None = strawberry.UNSET
    options: list[VoteOptionInput] | None = strawberry.UNSET


#: Fields a null cannot clear: the text ones become empty, the options none.
_CLEARED = {"title": "", "territory_code": "", "description": "", "options": ()}


def _value(name: str, value: Any) -> Any:
    """An input field's value as the platform's input holds it."""
    if value is None:
        return _CLEARED.get(name)
    if name == "options":
        return tuple(option.option() for option in value)
    if name == "method":
        return value.value
    return value


def _vote_input(input: CreateVoteInput) -> VoteInput:
    values = {name: _value(name, getattr(input, name))
              for name in VoteInput.__dataclass_fields__ if name != "template_id"}
    template = input.template_id
    return VoteInput(**values, template_id=None if template is None else vote_pk(
        template, "templateId"))


def _changes(input: UpdateVoteInput) -> dict[str, Any]:
    return {name: _value(name, value) for name, value in vars(input).items()
            if name != "id" and value is not strawberry.UNSET}


async def _payload(call: Callable[[], Awaitable[models.Vote]]) -> VotePayload:
    async def run() -> models.Vote:
        return await call()

    row, errors = await run_mutation(run())
    return VotePayload(vote=Vote.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class VotesMutation:
    @strawberry.mutation(description="Create a draft vote, a template, or a vote from a "
                                     "template (regional administrators in their territory, "
                                     "federal configurators anywhere).")
    async def create_vote(self, info: strawberry.Info, input: CreateVoteInput) -> VotePayload:
        return await _payload(lambda: vote_services(info).create(info.context.principal,
                                                                 _vote_input(input)))

    @strawberry.mutation(description="Change a draft vote.")
    async def update_vote(self, info: strawberry.Info, input: UpdateVoteInput) -> VotePayload:
        return await _payload(lambda: vote_services(info).update(
            info.context.principal, vote_pk(input.id), _changes(input)))

    @strawberry.mutation(description="Open a draft for ballots.")
    async def open_vote(self, info: strawberry.Info, id: relay.GlobalID) -> VotePayload:
        return await _payload(lambda: vote_services(info).open(info.context.principal,
                                                               vote_pk(id)))

    @strawberry.mutation(description="Stop taking ballots and seal the bulletin board.")
    async def close_vote(self, info: strawberry.Info, id: relay.GlobalID) -> VotePayload:
        return await _payload(lambda: vote_services(info).close(info.context.principal,
                                                                vote_pk(id)))

    @strawberry.mutation(description="Publish a closed vote's results to everyone.")
    async def publish_vote_results(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> VotePayload:
        return await _payload(lambda: vote_services(info).publish(info.context.principal,
                                                                  vote_pk(id)))
