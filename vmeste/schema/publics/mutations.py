"""Keeping the registry of official pages, declaring and confirming compliance, and
taking a snapshot now (see :mod:`vmeste.platform.publics.access` for who may)."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.platform.publics import models
from vmeste.platform.publics.pages import PageInput
from vmeste.platform.publics.services import PublicsServices
from vmeste.schema.errors import UserError, global_pk, run_mutation
from vmeste.schema.publics.queries import page_pk
from vmeste.schema.publics.types import OfficialPage, PageDeclaration, PageSnapshot


@strawberry.input
class RegisterOfficialPageInput:
    organization_id: relay.GlobalID
    territory_code: str
    network: str
    page_ref: str = strawberry.field(description="The network's id of the page.")
    registered_name: str = strawberry.field(description="The body's name as the page "
                                                        "must show it.")
    screen_name: str = ""
    url: str = ""
    responsible_name: str = ""
    responsible_position: str = ""
    token_variable: str = strawberry.field(default="", description="The name of the "
                                           "credentials the connector's secrets are under.")


@strawberry.input
class UpdateOfficialPageInput:
    id: relay.GlobalID
    screen_name: str | None = None
    url: str | None = None
    registered_name: str | None = None
    responsible_name: str | None = None
    responsible_position: str | None = None
    token_variable: str | None = None


@strawberry.type
class OfficialPagePayload:
    page: OfficialPage | None
    user_errors: list[UserError]


@strawberry.type
class PageDeclarationPayload:
    declaration: PageDeclaration | None
    user_errors: list[UserError]


@strawberry.type
class PageSnapshotPayload:
    snapshot: PageSnapshot | None
    user_errors: list[UserError]


def _services(info: strawberry.Info) -> PublicsServices:
    return info.context.runtime.service(PublicsServices)  # type: ignore[no-any-return]


def _page(row: models.OfficialPage | None) -> OfficialPage | None:
    return OfficialPage.from_model(row) if row is not None else None


def _declaration(row: models.PageDeclaration | None) -> PageDeclaration | None:
    return PageDeclaration.from_model(row) if row is not None else None


@strawberry.type
class PublicsMutation:
    @strawberry.mutation(description="Add a body's page to the registry (its first snapshot "
                                     "is due at once).")
    async def register_official_page(self, info: strawberry.Info,
                                     input: RegisterOfficialPageInput) -> OfficialPagePayload:
        async def call() -> models.OfficialPage:
            organization = global_pk(input.organization_id, "Organization",
                                     field="organizationId",
                                     message=_("This is not an organization's id"))
            return await _services(info).register_page(info.context.principal, PageInput(
                organization_id=organization, territory_code=input.territory_code,
                network=input.network, page_ref=input.page_ref,
                registered_name=input.registered_name, screen_name=input.screen_name,
                url=input.url, responsible_name=input.responsible_name,
                responsible_position=input.responsible_position,
                token_variable=input.token_variable))

        row, errors = await run_mutation(call())
        return OfficialPagePayload(page=_page(row), user_errors=errors)

    @strawberry.mutation(description="Change a page's names, address or credentials.")
    async def update_official_page(self, info: strawberry.Info,
                                   input: UpdateOfficialPageInput) -> OfficialPagePayload:
        changes = {name: value for name, value in (
            ("screen_name", input.screen_name), ("url", input.url),
            ("registered_name", input.registered_name),
            ("responsible_name", input.responsible_name),
            ("responsible_position", input.responsible_position),
            ("token_variable", input.token_variable)) if value is not None}

        async def call() -> models.OfficialPage:
            return await _services(info).update_page(info.context.principal,
                                                     page_pk(input.id), changes)

        row, errors = await run_mutation(call())
        return OfficialPagePayload(page=_page(row), user_errors=errors)

    @strawberry.mutation(description="Take a page out of the snapshots and the shares; its "
                                     "history stays.")
    async def retire_official_page(self, info: strawberry.Info, id: relay.GlobalID
                                   ) -> OfficialPagePayload:
        async def call() -> models.OfficialPage:
            return await _services(info).retire_page(info.context.principal, page_pk(id))

        row, errors = await run_mutation(call())
        return OfficialPagePayload(page=_page(row), user_errors=errors)

    @strawberry.mutation(description="The body's word on a declared rule; it counts once "
                                     "the regional centre confirms it.")
    async def declare_page_compliance(self, info: strawberry.Info, page_id: relay.GlobalID,
                                      rule_code: str, value: bool, note: str = ""
                                      ) -> PageDeclarationPayload:
        async def call() -> models.PageDeclaration:
            return await _services(info).declare(info.context.principal,
                                                 page_pk(page_id, "pageId"), rule_code,
                                                 value, note)

        row, errors = await run_mutation(call())
        return PageDeclarationPayload(declaration=_declaration(row), user_errors=errors)

    @strawberry.mutation(description="The regional centre accepts or refuses a declaration; "
                                     "the page's latest snapshot is checked again.")
    async def confirm_page_declaration(self, info: strawberry.Info, id: relay.GlobalID,
                                       accept: bool, reason: str = ""
                                       ) -> PageDeclarationPayload:
        async def call() -> models.PageDeclaration:
            pk = global_pk(id, "PageDeclaration", field="id",
                           message=_("This is not a declaration's id"))
            return await _services(info).confirm(info.context.principal, pk, accept, reason)

        row, errors = await run_mutation(call())
        return PageDeclarationPayload(declaration=_declaration(row), user_errors=errors)

    @strawberry.mutation(description="Read a page through its network now and check every "
                                     "rule.")
    async def take_page_snapshot(self, info: strawberry.Info, page_id: relay.GlobalID
                                 ) -> PageSnapshotPayload:
        async def call() -> models.PageSnapshot:
            return await _services(info).take_snapshot(info.context.principal,
                                                       page_pk(page_id, "pageId"))

        row, errors = await run_mutation(call())
        return PageSnapshotPayload(
            snapshot=PageSnapshot.from_model(row) if row is not None else None,
            user_errors=errors)
