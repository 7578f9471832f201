"""Incidents' part of the schema: incidents, monitoring rules, statistics, the live feed."""

from __future__ import annotations

import strawberry

from vmeste.platform.incidents.models import IncidentEvent
from vmeste.schema.incidents.queries import IncidentsQuery
from vmeste.schema.incidents.reply_mutations import IncidentReplyMutation
from vmeste.schema.incidents.rule_mutations import MonitoringRuleMutation
from vmeste.schema.incidents.statistics import IncidentStatisticsQuery
from vmeste.schema.incidents.subscriptions import IncidentsSubscription
from vmeste.schema.incidents.triage_mutations import IncidentTriageMutation
from vmeste.schema.incidents.types import Incident, IncidentReply, MonitoringRule, SocialPost
from vmeste.schema.loaders import grouped
from vmeste.schema.parts import SchemaPart


@strawberry.type
class IncidentsQueries(IncidentsQuery, IncidentStatisticsQuery):
    """Every query of incidents."""


@strawberry.type
class IncidentsMutations(IncidentTriageMutation, IncidentReplyMutation, MonitoringRuleMutation):
    """Every mutation of incidents."""


SCHEMA = SchemaPart(
    name="incidents", query=IncidentsQueries, mutation=IncidentsMutations,
    subscription=IncidentsSubscription,
    loaders={"incident_events": lambda: grouped(IncidentEvent, "incident_id")},
    types=(Incident, SocialPost, IncidentReply, MonitoringRule))
