"""Incidents' part of the schema: incidents, monitoring rules, statistics, the live feed."""

from __future__ import annotations

import strawberry

from vmeste.platform.incidents import models
from vmeste.platform.incidents.access import INCIDENT_FILES
from vmeste.platform.incidents.models import IncidentEvent
from vmeste.platform.publics.models import OfficialPage as OfficialPageRow
from vmeste.schema.attachments.types import files_of
from vmeste.schema.incidents.queries import IncidentsQuery
from vmeste.schema.incidents.reply_mutations import IncidentReplyMutation
from vmeste.schema.incidents.rule_mutations import MonitoringRuleMutation
from vmeste.schema.incidents.statistics import IncidentStatisticsQuery
from vmeste.schema.incidents.subscriptions import IncidentsSubscription
from vmeste.schema.incidents.triage_mutations import IncidentTriageMutation
from vmeste.schema.incidents.types import Incident, IncidentReply, MonitoringRule, SocialPost
from vmeste.schema.loaders import by_id, grouped
from vmeste.schema.parts import SchemaPart
from vmeste.schema.publics.types import OfficialPage


@strawberry.type
class IncidentsQueries(IncidentsQuery, IncidentStatisticsQuery):
    """Every query of incidents."""


@strawberry.type
class IncidentsMutations(IncidentTriageMutation, IncidentReplyMutation, MonitoringRuleMutation):
    """Every mutation of incidents."""


SCHEMA = SchemaPart(
    name="incidents", query=IncidentsQueries, mutation=IncidentsMutations,
    subscription=IncidentsSubscription,
    loaders={"incident_events": lambda: grouped(IncidentEvent, "incident_id"),
             "incident_posts": lambda: grouped(models.SocialPost, "incident_id",
                                               SocialPost.from_model),
             "incident_replies": lambda: grouped(models.IncidentReply, "incident_id",
                                                 IncidentReply.from_model),
             "incident_page": lambda: by_id(OfficialPageRow, OfficialPage.from_model),
             "incident_attachments": lambda: files_of(INCIDENT_FILES)},
    types=(Incident, SocialPost, IncidentReply, MonitoringRule))
