"""Direct lines: an official's live Q&A, its questions collected in advance, and the
votes citizens give to the questions they want asked."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from vmeste.platform.history import StepEvent


class LineStatus(StrEnum):
    """DRAFT until announced. Questions are taken while COLLECTING, the broadcast is
    LIVE, and a FINISHED line hands its unanswered questions over as appeals."""

    DRAFT = "draft"
    COLLECTING = "collecting"
    LIVE = "live"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class DirectLine(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=500)
    description = fields.TextField(default="")
    #: The official who answers, and their office, as announced.
    official_name = fields.CharField(max_length=300)
    official_position = fields.CharField(max_length=500, default="")
    organization: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="direct_lines", on_delete=fields.RESTRICT)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="direct_lines", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    #: The announced topics, a list of short titles.
    topics = fields.JSONField(default=list)
    starts_at = fields.DatetimeField()
    #: Questions are taken until then (the start of the broadcast when unset).
    questions_close_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(LineStatus, max_length=16, default=LineStatus.DRAFT,
                                  db_index=True)
    #: The category the unanswered questions are handed over in, as appeals.
    category: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Category", related_name="direct_lines", null=True, on_delete=fields.RESTRICT)
    revision = fields.IntField(default=0)
    #: When questions stop being taken (the line clock records it), while collecting.
    next_check_at = fields.DatetimeField(null=True, db_index=True)
    #: When it was announced, the moment everyone sees it from, cancelled or not.
    #: Empty for a draft, and for a line cancelled before it was announced.
    announced_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    organization_id: int
    territory_id: int
    category_id: int | None

    class Meta:
        table = "direct_line"
        ordering = ["id"]


class DirectLineEvent(StepEvent):
    line: fields.ForeignKeyRelation[DirectLine] = fields.ForeignKeyField(
        "vmeste.DirectLine", related_name="events", on_delete=fields.RESTRICT)

    line_id: int

    class Meta:
        table = "direct_line_event"
        ordering = ["id"]


class QuestionStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    #: Joined into another question (``merged_into``), its votes carried over.
    MERGED = "merged"


class LineQuestion(Model):
    id = fields.IntField(primary_key=True)
    line: fields.ForeignKeyRelation[DirectLine] = fields.ForeignKeyField(
        "vmeste.DirectLine", related_name="questions", on_delete=fields.RESTRICT)
    author: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="line_questions", on_delete=fields.RESTRICT)
    text = fields.TextField()
    topic = fields.CharField(max_length=300, default="")
    #: The territory of the author, for routing the question as an appeal later.
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="line_questions", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255)
    status = fields.CharEnumField(QuestionStatus, max_length=16,
                                  default=QuestionStatus.PENDING, db_index=True)
    moderation_code = fields.CharField(max_length=64, default="")
    moderation_reason = fields.TextField(default="")
    moderated_by = fields.CharField(max_length=300, default="")
    moderated_at = fields.DatetimeField(null=True)
    merged_into: fields.ForeignKeyNullableRelation[LineQuestion] = fields.ForeignKeyField(
        "vmeste.LineQuestion", related_name="merged", null=True, on_delete=fields.RESTRICT)
    #: Distinct people supporting it (its author among them), kept with the votes.
    votes = fields.IntField(default=0)
    answered_at = fields.DatetimeField(null=True)
    answered_by = fields.CharField(max_length=300, default="")
    #: The appeal an unanswered question became after the line.
    appeal: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Appeal", related_name="line_questions", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    line_id: int
    author_id: int
    territory_id: int
    merged_into_id: int | None
    appeal_id: int | None

    class Meta:
        table = "line_question"
        ordering = ["id"]


class QuestionVote(Model):
    """One person supports one question once."""

    id = fields.IntField(primary_key=True)
    question: fields.ForeignKeyRelation[LineQuestion] = fields.ForeignKeyField(
        "vmeste.LineQuestion", related_name="supporters", on_delete=fields.CASCADE)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="question_votes", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    question_id: int
    user_id: int

    class Meta:
        table = "question_vote"
        unique_together = (("question", "user"),)
