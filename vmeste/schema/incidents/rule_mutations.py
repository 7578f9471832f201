"""Keeping the monitoring rules (the territory's monitoring staff; see
:mod:`vmeste.platform.incidents.rules`)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay

from vmeste.platform.incidents import models, rules
from vmeste.schema.errors import run_mutation
from vmeste.schema.incidents.payloads import MonitoringRulePayload, page_pks, rule_pk, services


@strawberry.input
class CreateMonitoringRuleInput:
    name: str
    territory_code: str
    keywords: list[str] = strawberry.field(default_factory=list, description="Words and "
                                           "phrases, matched on their lemmas.")
    page_ids: list[relay.GlobalID] = strawberry.field(
        default_factory=list, description="Official pages whose posts the rule takes and "
                                          "fetches.")
    fetch_every_minutes: int = 15


@strawberry.input
class UpdateMonitoringRuleInput:
    id: relay.GlobalID
    name: str | None = None
    keywords: list[str] | None = None
    page_ids: list[relay.GlobalID] | None = None
    fetch_every_minutes: int | None = None


@strawberry.type
class MonitoringRuleMutation:
    @strawberry.mutation(description="A rule choosing which posts become incidents.")
    async def create_monitoring_rule(self, info: strawberry.Info,
                                     input: CreateMonitoringRuleInput) -> MonitoringRulePayload:
        async def call() -> models.MonitoringRule:
            return await rules.create_rule(info.context.principal, rules.RuleInput(
                name=input.name, territory_code=input.territory_code,
                keywords=list(input.keywords), page_ids=page_pks(input.page_ids),
                fetch_every_minutes=input.fetch_every_minutes), services(info).clock())

        return MonitoringRulePayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Change a rule's name, keywords, pages or schedule.")
    async def update_monitoring_rule(self, info: strawberry.Info,
                                     input: UpdateMonitoringRuleInput) -> MonitoringRulePayload:
        async def call() -> models.MonitoringRule:
            changes: dict[str, Any] = {name: value for name, value in (
                ("name", input.name), ("keywords", input.keywords),
                ("fetch_every_minutes", input.fetch_every_minutes)) if value is not None}
            if input.page_ids is not None:
                changes["page_ids"] = page_pks(input.page_ids)
            return await rules.update_rule(info.context.principal, rule_pk(input.id), changes,
                                           services(info).clock())

        return MonitoringRulePayload.of(*await run_mutation(call()))

    @strawberry.mutation(description="Stop a rule (its incidents stay).")
    async def deactivate_monitoring_rule(self, info: strawberry.Info, id: relay.GlobalID
                                         ) -> MonitoringRulePayload:
        async def call() -> models.MonitoringRule:
            return await rules.deactivate_rule(info.context.principal, rule_pk(id))

        return MonitoringRulePayload.of(*await run_mutation(call()))
