"""Appeals, their immutable event history, and the competence rules that route them."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from vmeste.platform.history import StepEvent


class Channel(StrEnum):
    PORTAL = "portal"
    WIDGET = "widget"
    APP = "app"
    OPERATOR = "operator"
    SOCIAL = "social"
    OPEN311 = "open311"


class ApplicantType(StrEnum):
    PERSON = "person"
    LEGAL = "legal"


class LegalTrack(StrEnum):
    """A platform message (Decree 1802) or a formal appeal under 59-ФЗ."""

    MESSAGE = "message"
    APPEAL_59FZ = "appeal_59fz"


class AppealStatus(StrEnum):
    MODERATION = "moderation"
    REJECTED = "rejected"
    UNROUTED = "unrouted"
    ROUTED = "routed"
    IN_PROGRESS = "in_progress"
    CLARIFICATION_REQUESTED = "clarification_requested"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Appeal(Model):
    id = fields.IntField(primary_key=True)
    applicant: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="appeals", on_delete=fields.RESTRICT
    )
    applicant_type = fields.CharEnumField(ApplicantType, max_length=8)
    channel = fields.CharEnumField(Channel, max_length=16)
    category: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Category", related_name="appeals", on_delete=fields.RESTRICT
    )
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="appeals", on_delete=fields.RESTRICT
    )
    #: Territory path at submission, so scoped staff filter by an indexed prefix.
    territory_path = fields.CharField(max_length=255, db_index=True)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    address = fields.CharField(max_length=500, default="")
    text = fields.TextField()
    #: The body whose site carried the widget the citizen wrote from.
    target_organization: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="targeted_appeals", null=True,
        on_delete=fields.SET_NULL,
    )
    #: The body whose actions are complained about: never routed or redirected to it.
    complained_organization: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="complaints", null=True, on_delete=fields.SET_NULL
    )
    legal_track = fields.CharEnumField(LegalTrack, max_length=16, default=LegalTrack.MESSAGE)
    status = fields.CharEnumField(AppealStatus, max_length=32, db_index=True)
    organization: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="appeals", null=True, on_delete=fields.RESTRICT
    )
    executor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="assigned_appeals", null=True, on_delete=fields.SET_NULL
    )
    idempotency_key = fields.CharField(max_length=128, null=True)
    routing_trace = fields.JSONField(null=True)
    answer = fields.TextField(null=True)
    rating = fields.SmallIntField(null=True)
    rework_count = fields.SmallIntField(default=0)
    #: Bumped by every step. A step applies only to the revision it read, so two
    #: concurrent steps cannot both succeed (optimistic locking).
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    answered_at = fields.DatetimeField(null=True)
    #: The first answer's moment: an answer after rework moves answered_at, not this.
    first_answered_at = fields.DatetimeField(null=True)
    #: Seconds from registration to the first answer (statistics: time to answer).
    answer_seconds = fields.IntField(null=True)
    #: Whether the first answer came after the due moment in force then.
    answered_late = fields.BooleanField(null=True)
    #: The day of submission in the territory's time zone (statistics by period).
    received_on = fields.DateField(null=True, db_index=True)
    #: When the appeal was registered (accepted by moderation): the clock starts here.
    registered_at = fields.DatetimeField(null=True)
    #: The deadline policy in force, such as working-days:10 or calendar-days:30.
    deadline_policy = fields.CharField(max_length=32, null=True)
    #: Due moment after pauses and extensions, recomputed on every change of them.
    due_at = fields.DatetimeField(null=True, db_index=True)
    #: The calendar and version the due moment was computed on.
    calendar_version = fields.CharField(max_length=200, null=True)
    #: 59-FZ: the body must redirect an appeal outside its competence by this moment.
    redirect_due_at = fields.DatetimeField(null=True)
    #: Fractions of the term already reminded about, so reminders go out once.
    reminders_sent = fields.JSONField(default=list)
    overdue_at = fields.DatetimeField(null=True)
    escalated_at = fields.DatetimeField(null=True)
    #: When the deadline watchdog next has something to check (a reminder moment, the
    #: due moment, the end of the escalation grace). Null means at its next sweep.
    next_check_at = fields.DatetimeField(null=True, db_index=True)

    applicant_id: int
    category_id: int
    territory_id: int
    organization_id: int | None
    executor_id: int | None
    target_organization_id: int | None
    complained_organization_id: int | None

    class Meta:
        table = "appeal"
        ordering = ["id"]
        unique_together = (("applicant", "idempotency_key"),)
        indexes = (("organization_id", "status"), ("applicant_id", "created_at"))


class AppealCopy(Model):
    """A copy sent for information to another competent body."""

    id = fields.IntField(primary_key=True)
    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "vmeste.Appeal", related_name="copies", on_delete=fields.CASCADE
    )
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="appeal_copies", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appeal_copy"
        unique_together = (("appeal", "organization"),)


class AppealEvent(StepEvent):
    """One step in the life of an appeal, never changed or removed."""

    appeal: fields.ForeignKeyRelation[Appeal] = fields.ForeignKeyField(
        "vmeste.Appeal", related_name="events", on_delete=fields.RESTRICT
    )

    appeal_id: int

    class Meta:
        table = "appeal_event"
        ordering = ["id"]
        indexes = (("appeal_id", "id"),)


class RuleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    #: Replaced or withdrawn by a later publish; kept as history.
    RETIRED = "retired"


class CompetenceRule(Model):
    """Category (group) × territory scope → responsible body.

    Routing reads only published rules. Editing a published rule creates a draft that
    ``replaces`` it (or, with ``retire``, withdraws it); ``publish`` swaps every draft
    in at once after checking the resulting set for ties, so routing never sees a
    half-edited table. A rule's ``version`` counts the published versions of it.
    """

    id = fields.IntField(primary_key=True)
    category: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Category", related_name="competence_rules", on_delete=fields.RESTRICT
    )
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="competence_rules", on_delete=fields.RESTRICT
    )
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="competence_rules", on_delete=fields.RESTRICT
    )
    priority = fields.IntField(default=0)
    applicant_type = fields.CharEnumField(ApplicantType, max_length=8, null=True)
    channel = fields.CharEnumField(Channel, max_length=16, null=True)
    valid_from = fields.DateField(null=True)
    valid_to = fields.DateField(null=True)
    status = fields.CharEnumField(RuleStatus, max_length=16, default=RuleStatus.DRAFT,
                                  db_index=True)
    version = fields.IntField(default=1)
    replaces: fields.ForeignKeyNullableRelation[CompetenceRule] = fields.ForeignKeyField(
        "vmeste.CompetenceRule", related_name="replaced_by", null=True, on_delete=fields.SET_NULL
    )
    retire = fields.BooleanField(default=False)
    author = fields.CharField(max_length=300)
    #: Territory path of the scope, for "within my region" checks and coverage reports.
    territory_path = fields.CharField(max_length=255, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    category_id: int
    territory_id: int
    organization_id: int
    replaces_id: int | None

    class Meta:
        table = "competence_rule"
        ordering = ["id"]
