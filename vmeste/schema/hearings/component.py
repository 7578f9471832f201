"""Hearings' part of the schema."""

from __future__ import annotations

import strawberry

from vmeste.platform.hearings import models
from vmeste.platform.hearings.proposals import PROPOSAL_FILES
from vmeste.schema.attachments.types import files_of
from vmeste.schema.hearings.document_mutations import HearingDocumentsMutation
from vmeste.schema.hearings.document_queries import HearingDocumentsQuery
from vmeste.schema.hearings.draft_fields import DraftMutation, DraftQuery
from vmeste.schema.hearings.hearing_mutations import HearingsMutation
from vmeste.schema.hearings.hearing_queries import HearingsQuery
from vmeste.schema.hearings.hearing_types import Hearing
from vmeste.schema.hearings.line_mutations import LinesMutation
from vmeste.schema.hearings.line_pages import LOADERS as LINE_LOADERS
from vmeste.schema.hearings.line_queries import LinesQuery
from vmeste.schema.hearings.line_subscriptions import LinesSubscription
from vmeste.schema.hearings.line_types import DirectLine, LineQuestion
from vmeste.schema.hearings.participant_fields import ParticipantMutation, ParticipantQuery
from vmeste.schema.hearings.proposal_fields import ProposalMutation, ProposalQuery
from vmeste.schema.hearings.template_mutations import TemplatesMutation
from vmeste.schema.hearings.template_queries import TemplatesQuery
from vmeste.schema.hearings.template_types import ProcedureTemplate
from vmeste.schema.loaders import by_id, grouped, linked
from vmeste.schema.parts import SchemaPart


@strawberry.type
class HearingsQueries(HearingsQuery, TemplatesQuery, DraftQuery, ParticipantQuery,
                      ProposalQuery, HearingDocumentsQuery, LinesQuery):
    """Every query of hearings: templates, hearings, drafts, participants, proposals,
    documents, and direct lines."""


@strawberry.type
class HearingsMutations(HearingsMutation, TemplatesMutation, DraftMutation,
                        ParticipantMutation, ProposalMutation, HearingDocumentsMutation,
                        LinesMutation):
    """Every mutation of hearings."""


SCHEMA = SchemaPart(
    name="hearings", query=HearingsQueries, mutation=HearingsMutations,
    subscription=LinesSubscription,
    loaders={**LINE_LOADERS,
             "procedure_template": lambda: by_id(models.ProcedureTemplate,
                                                 ProcedureTemplate.from_model),
             "hearing_events": lambda: grouped(models.HearingEvent, "hearing_id"),
             "hearing_subscribed": lambda: linked(models.HearingSubscription, "user_id",
                                                  "hearing_id"),
             "draft_sections": lambda: grouped(models.DraftSection, "version_id"),
             "draft_attachments": lambda: grouped(models.HearingAttachment, "version_id"),
             "draft_section": lambda: by_id(models.DraftSection, lambda row: row),
             "proposal_hearing": lambda: by_id(models.Hearing, lambda row: row),
             "proposal_participant": lambda: by_id(models.HearingParticipant,
                                                   lambda row: row),
             "proposal_attachments": lambda: files_of(PROPOSAL_FILES)},
    types=(Hearing, ProcedureTemplate, DirectLine, LineQuestion))
