"""Public discussions and hearings on draft acts: procedure templates, the hearings run
on them with their history, the draft's versions and sections, participants,
proposals, and the generated protocol and conclusion."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from vmeste.platform.history import StepEvent


class HearingKind(StrEnum):
    #: Общественные обсуждения (Town Planning Code art. 5.1): no meeting.
    PUBLIC_DISCUSSION = "public_discussion"
    #: Публичные слушания (art. 5.1, 131-FZ art. 28): with a meeting of participants.
    PUBLIC_HEARING = "public_hearing"


class Stage(StrEnum):
    """The statutory stages, in order (art. 5.1 part 4). A discussion has no meeting."""

    NOTICE = "notice"
    EXPOSITION = "exposition"
    MEETING = "meeting"
    PROTOCOL = "protocol"
    CONCLUSION = "conclusion"
    PUBLICATION = "publication"


class DayUnit(StrEnum):
    CALENDAR_DAYS = "calendar_days"
    WORKING_DAYS = "working_days"
    #: Calendar months, as the Town Planning Code counts a master plan (a month ends on
    #: the same date of the next month, Civil Code art. 192).
    MONTHS = "months"


class HearingStatus(StrEnum):
    """The stage of a hearing: DRAFT before the notice, then one status per stage, PUBLISHED
    once the conclusion is officially published."""

    DRAFT = "draft"
    NOTICE = "notice"
    EXPOSITION = "exposition"
    MEETING = "meeting"
    PROTOCOL = "protocol"
    CONCLUSION = "conclusion"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class ProcedureTemplate(Model):
    """One version of a procedure: its kind, the document type it applies to, the
    duration rule of each stage and the term of the whole procedure. Versions are never
    edited: a change is a new version, and a hearing keeps the version it started on."""

    id = fields.IntField(primary_key=True)
    #: Stable across versions, e.g. land_use_rules.
    code = fields.CharField(max_length=64)
    version = fields.IntField(default=1)
    #: The newest version of its code on its territory.
    current = fields.BooleanField(default=True)
    kind = fields.CharEnumField(HearingKind, max_length=24)
    document_type = fields.CharField(max_length=64)
    title = fields.CharField(max_length=500)
    #: The law the template follows, as cited in the protocol.
    legal_basis = fields.CharField(max_length=500, default="")
    #: The country for federal defaults, a region for its own law.
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="procedure_templates", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    #: Each stage in order with its duration rule, as stage min max unit.
    stages = fields.JSONField(default=list)
    #: From the notice to the publication of the conclusion, as min max unit.
    total = fields.JSONField(default=dict)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)

    territory_id: int

    class Meta:
        table = "procedure_template"
        ordering = ["id"]
        unique_together = (("code", "territory", "version"),)


class Hearing(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=500)
    description = fields.TextField(default="")
    kind = fields.CharEnumField(HearingKind, max_length=24)
    document_type = fields.CharField(max_length=64)
    template: fields.ForeignKeyRelation[ProcedureTemplate] = fields.ForeignKeyField(
        "vmeste.ProcedureTemplate", related_name="hearings", on_delete=fields.RESTRICT)
    #: The territory the draft concerns: its residents are the residents of the hearing.
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="hearings", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    #: The body that organises the procedure (named in the protocol).
    organiser: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="hearings", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(HearingStatus, max_length=16, default=HearingStatus.DRAFT,
                                  db_index=True)
    revision = fields.IntField(default=0)
    #: The notice as published, and where and when (art. 5.1 part 18 cites them).
    notice_text = fields.TextField(default="")
    notice_published_where = fields.CharField(max_length=500, default="")
    notice_published_at = fields.DatetimeField(null=True)
    exposition_place = fields.CharField(max_length=500, default="")
    exposition_hours = fields.CharField(max_length=500, default="")
    meeting_place = fields.CharField(max_length=500, default="")
    meeting_at = fields.DatetimeField(null=True)
    #: The dates of every stage as computed from the template on the production calendar,
    #: stage name to starts and ends, ISO dates.
    schedule = fields.JSONField(default=dict)
    #: The next moment the scheduler moves the hearing on (the end of a stage).
    next_check_at = fields.DatetimeField(null=True, db_index=True)
    published_where = fields.CharField(max_length=500, default="")
    published_at = fields.DatetimeField(null=True)
    cancel_reason = fields.TextField(default="")
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    template_id: int
    territory_id: int
    organiser_id: int

    class Meta:
        table = "hearing"
        ordering = ["id"]


class HearingEvent(StepEvent):
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="events", on_delete=fields.RESTRICT)

    hearing_id: int

    class Meta:
        table = "hearing_event"
        ordering = ["id"]


class HearingSubscription(Model):
    """Someone who asked to hear of the stages of a hearing."""

    id = fields.IntField(primary_key=True)
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="subscriptions", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="hearing_subscriptions", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    hearing_id: int
    user_id: int

    class Meta:
        table = "hearing_subscription"
        unique_together = (("hearing", "user"),)


class DraftVersion(Model):
    """One version of the draft act. A published version is never changed."""

    id = fields.IntField(primary_key=True)
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="versions", on_delete=fields.RESTRICT)
    number = fields.IntField()
    title = fields.CharField(max_length=500)
    #: The Markdown the sections were parsed from (empty when entered section by section).
    source = fields.TextField(default="")
    sha256 = fields.CharField(max_length=64, default="")
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)

    hearing_id: int

    class Meta:
        table = "draft_version"
        ordering = ["hearing_id", "number"]
        unique_together = (("hearing", "number"),)


class DraftSection(Model):
    """A section or numbered point of a draft version, the anchor of proposals."""

    id = fields.IntField(primary_key=True)
    version: fields.ForeignKeyRelation[DraftVersion] = fields.ForeignKeyField(
        "vmeste.DraftVersion", related_name="sections", on_delete=fields.CASCADE)
    position = fields.IntField()
    #: Nesting depth from 1 (a chapter) down to its points.
    depth = fields.SmallIntField(default=1)
    #: The number as written in the act, 1 or 2.3.
    number = fields.CharField(max_length=32, default="")
    heading = fields.CharField(max_length=1000, default="")
    text = fields.TextField(default="")

    version_id: int

    class Meta:
        table = "draft_section"
        ordering = ["version_id", "position"]
        unique_together = (("version", "position"),)


class HearingAttachment(Model):
    """A file of the draft (maps, annexes), kept by the storage it was uploaded to."""

    id = fields.IntField(primary_key=True)
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="attachments", on_delete=fields.RESTRICT)
    version: fields.ForeignKeyNullableRelation[DraftVersion] = fields.ForeignKeyField(
        "vmeste.DraftVersion", related_name="attachments", null=True,
        on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=128)
    size = fields.BigIntField()
    sha256 = fields.CharField(max_length=64)
    #: Where the storage keeps it (a key, not a URL: storage decides how it is served).
    storage_key = fields.CharField(max_length=500)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)

    hearing_id: int
    version_id: int | None

    class Meta:
        table = "hearing_attachment"
        ordering = ["id"]


class ParticipantClass(StrEnum):
    #: Registered at an address inside the territory of the hearing.
    RESIDENT = "resident"
    #: Holds land or a building there (a declared cadastral number with a document).
    RIGHT_HOLDER = "right_holder"
    OTHER = "other"


class ProposalChannel(StrEnum):
    ONLINE = "online"
    MEETING = "meeting"
    WRITTEN = "written"


class HearingParticipant(Model):
    """A participant of one hearing and their class, decided once, at registration,
    from the verified profile and their declaration."""

    id = fields.IntField(primary_key=True)
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="participants", on_delete=fields.RESTRICT)
    #: None for a participant of the meeting or a letter, entered by the organiser.
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="hearing_participations", null=True,
        on_delete=fields.RESTRICT)
    #: As the protocol names them (full name of a person, or an organisation).
    display_name = fields.CharField(max_length=500)
    participant_class = fields.CharEnumField(ParticipantClass, max_length=16)
    cadastral_number = fields.CharField(max_length=40, default="")
    #: The document backing the declaration of a right-holder (its title and number).
    right_document = fields.CharField(max_length=500, default="")
    #: The registered address territory at registration.
    territory_path = fields.CharField(max_length=255, default="")
    channel = fields.CharEnumField(ProposalChannel, max_length=8,
                                   default=ProposalChannel.ONLINE)
    entered_by = fields.CharField(max_length=300, default="")
    registered_at = fields.DatetimeField(auto_now_add=True)

    hearing_id: int
    user_id: int | None

    class Meta:
        table = "hearing_participant"
        unique_together = (("hearing", "user"),)


class ProposalStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"


class Recommendation(StrEnum):
    #: Целесообразно учесть.
    TAKE_INTO_ACCOUNT = "take_into_account"
    #: Нецелесообразно учитывать.
    DECLINE = "decline"


class Proposal(Model):
    id = fields.IntField(primary_key=True)
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="proposals", on_delete=fields.RESTRICT)
    #: Its sequence in the hearing, as the protocol numbers proposals.
    number = fields.IntField()
    participant: fields.ForeignKeyRelation[HearingParticipant] = fields.ForeignKeyField(
        "vmeste.HearingParticipant", related_name="proposals", on_delete=fields.RESTRICT)
    #: Copied from the participant, so the split never changes after the fact.
    participant_class = fields.CharEnumField(ParticipantClass, max_length=16)
    version: fields.ForeignKeyRelation[DraftVersion] = fields.ForeignKeyField(
        "vmeste.DraftVersion", related_name="proposals", on_delete=fields.RESTRICT)
    section: fields.ForeignKeyNullableRelation[DraftSection] = fields.ForeignKeyField(
        "vmeste.DraftSection", related_name="proposals", null=True, on_delete=fields.RESTRICT)
    #: The passage of the section the proposal is about, as quoted.
    quote = fields.TextField(default="")
    text = fields.TextField()
    channel = fields.CharEnumField(ProposalChannel, max_length=8)
    entered_by = fields.CharField(max_length=300, default="")
    status = fields.CharEnumField(ProposalStatus, max_length=16,
                                  default=ProposalStatus.PENDING, db_index=True)
    moderation_code = fields.CharField(max_length=64, default="")
    moderation_reason = fields.TextField(default="")
    moderated_by = fields.CharField(max_length=300, default="")
    moderated_at = fields.DatetimeField(null=True)
    recommendation = fields.CharEnumField(Recommendation, max_length=24, null=True)
    recommendation_reason = fields.TextField(default="")
    recommended_by = fields.CharField(max_length=300, default="")
    recommended_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    hearing_id: int
    participant_id: int
    version_id: int
    section_id: int | None

    class Meta:
        table = "hearing_proposal"
        ordering = ["hearing_id", "number"]
        unique_together = (("hearing", "number"),)


class DocumentKind(StrEnum):
    PROTOCOL = "protocol"
    CONCLUSION = "conclusion"


class HearingDocument(Model):
    """A generated protocol or conclusion. Each generation is a new version, and a published
    one is frozen (its hash is in the audit trail) and never regenerated."""

    id = fields.IntField(primary_key=True)
    hearing: fields.ForeignKeyRelation[Hearing] = fields.ForeignKeyField(
        "vmeste.Hearing", related_name="documents", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(DocumentKind, max_length=16)
    version = fields.IntField()
    #: The date printed in the document.
    dated = fields.DateField()
    html = fields.TextField()
    sha256 = fields.CharField(max_length=64)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)
    published_where = fields.CharField(max_length=500, default="")

    hearing_id: int

    class Meta:
        table = "hearing_document"
        ordering = ["hearing_id", "kind", "version"]
        unique_together = (("hearing", "kind", "version"),)
