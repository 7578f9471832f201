"""Configuring widgets (a body's administrators, the territory's keepers)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.platform.widgets import configuration, models
from vmeste.schema.errors import UserError, global_pk, run_mutation
from vmeste.schema.widgets.queries import widget_pk
from vmeste.schema.widgets.types import Widget, WidgetKind, WidgetStatus


def _pks(values: list[relay.GlobalID] | None, type_name: str, field: str) -> tuple[int, ...]:
    return tuple(global_pk(value, type_name, field=field,
                           message=_("This is not a poll's or a vote's id"))
                 for value in values or ())


@strawberry.input
class CreateWidgetInput:
    title: str
    category_codes: list[str] = strawberry.field(description="The categories offered, "
                                                 "in the order shown (APPEAL only).")
    allowed_origins: list[str] = strawberry.field(description="https://host[:port] of each "
                                                  "site allowed to frame the widget.")
    organization_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The body whose site holds it (its appeals go to the "
                                  "body where it is competent).")
    territory_code: str | None = strawberry.field(
        default=None, description="The territory of the map; a municipality's own widget "
                                  "names only this. Defaults to the body's territory.")
    intro: str = ""
    language: str = strawberry.field(default="", description="ru, en, or empty for the "
                                                              "browser's.")
    colour: str = "#1f5fbf"
    kind: WidgetKind = strawberry.field(  # type: ignore[valid-type]
        default=models.WidgetKind.APPEAL,
        description="APPEAL: report a problem; OPINION: give an opinion.")
    poll_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="OPINION: the polls offered; none: every open poll of "
                                  "the territory.")
    vote_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="OPINION: the votes offered; none: every open vote of "
                                  "the territory.")


@strawberry.input
class UpdateWidgetInput:
    id: relay.GlobalID
    title: str | None = None
    intro: str | None = None
    language: str | None = None
    colour: str | None = None
    category_codes: list[str] | None = None
    allowed_origins: list[str] | None = None
    poll_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="OPINION: the polls offered ([]: every open one).")
    vote_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="OPINION: the votes offered ([]: every open one).")
    status: WidgetStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="RETIRED stops serving its page; ACTIVE again restores it.")


@strawberry.type
class WidgetPayload:
    widget: Widget | None
    user_errors: list[UserError]


def _payload(row: models.Widget | None, errors: list[UserError]) -> WidgetPayload:
    return WidgetPayload(widget=Widget.from_model(row) if row is not None else None,
                         user_errors=errors)


@strawberry.type
class WidgetsMutation:
    @strawberry.mutation(description="Configure a new widget; its publicKey goes into the "
                                     "embed snippet.")
    async def create_widget(self, info: strawberry.Info, input: CreateWidgetInput
                            ) -> WidgetPayload:
        async def call() -> models.Widget:
            organization = None if input.organization_id is None else global_pk(
                input.organization_id, "Organization", field="organizationId",
                message=_("This is not an organization's id"))
            return await configuration.create_widget(
                info.context.principal, configuration.WidgetInput(
                    title=input.title, category_codes=tuple(input.category_codes),
                    allowed_origins=tuple(input.allowed_origins),
                    organization_id=organization, territory_code=input.territory_code,
                    intro=input.intro, language=input.language, colour=input.colour,
                    kind=models.WidgetKind(input.kind),
                    poll_ids=_pks(input.poll_ids, "Poll", "pollIds"),
                    vote_ids=_pks(input.vote_ids, "Vote", "voteIds")),
                dev_mode=info.context.settings.dev_mode)

        return _payload(*await run_mutation(call()))

    @strawberry.mutation(description="Change a widget's texts, colour, categories, polls, "
                                     "votes, sites or status (the fields given).")
    async def update_widget(self, info: strawberry.Info, input: UpdateWidgetInput
                            ) -> WidgetPayload:
        async def call() -> models.Widget:
            changes: dict[str, Any] = {
                name: getattr(input, name) for name in configuration.EDITABLE
                if getattr(input, name) is not None}
            if input.poll_ids is not None:
                changes["poll_ids"] = _pks(input.poll_ids, "Poll", "pollIds")
            if input.vote_ids is not None:
                changes["vote_ids"] = _pks(input.vote_ids, "Vote", "voteIds")
            return await configuration.update_widget(
                info.context.principal, widget_pk(input.id), changes,
                dev_mode=info.context.settings.dev_mode)

        return _payload(*await run_mutation(call()))
