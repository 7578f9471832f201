"""What the incident mutations return (the object and ``userErrors``), and the ids they
take."""

from __future__ import annotations

import strawberry
from strawberry import relay

from vmeste.platform.i18n import _
from vmeste.platform.incidents import models
from vmeste.platform.incidents.services import IncidentServices
from vmeste.schema.errors import UserError, global_pk
from vmeste.schema.incidents.types import Incident, IncidentReply, MonitoringRule

BIG = 2**63 - 1


def services(info: strawberry.Info) -> IncidentServices:
    return info.context.runtime.service(IncidentServices)  # type: ignore[no-any-return]


def reply_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "IncidentReply", field=field,
                     message=_("This is not an answer's id"), max_id=BIG)


def rule_pk(value: relay.GlobalID, field: str = "id") -> int:
    return global_pk(value, "MonitoringRule", field=field,
                     message=_("This is not a monitoring rule's id"))


def post_pks(values: list[relay.GlobalID], field: str = "postIds") -> list[int]:
    return [global_pk(v, "SocialPost", field=field, message=_("This is not a post's id"),
                      max_id=BIG) for v in values]


def page_pks(values: list[relay.GlobalID], field: str = "pageIds") -> list[int]:
    return [global_pk(v, "OfficialPage", field=field,
                      message=_("This is not an official page's id")) for v in values]


@strawberry.type
class IncidentPayload:
    incident: Incident | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, row: models.Incident | None, errors: list[UserError]) -> IncidentPayload:
        return cls(incident=Incident.from_model(row) if row is not None else None,
                   user_errors=errors)


@strawberry.type
class IncidentReplyPayload:
    reply: IncidentReply | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, row: models.IncidentReply | None, errors: list[UserError]
           ) -> IncidentReplyPayload:
        return cls(reply=IncidentReply.from_model(row) if row is not None else None,
                   user_errors=errors)


@strawberry.type
class MonitoringRulePayload:
    rule: MonitoringRule | None
    user_errors: list[UserError]

    @classmethod
    def of(cls, row: models.MonitoringRule | None, errors: list[UserError]
           ) -> MonitoringRulePayload:
        return cls(rule=MonitoringRule.from_model(row) if row is not None else None,
                   user_errors=errors)
