"""Polls, their questions and history, who answered (participations) and what was
answered (responses), kept apart as votes keep participations and ballots."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from vmeste.platform.history import StepEvent


class PollStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    RESULTS_PUBLISHED = "results_published"


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"
    SCALE = "scale"
    RANKING = "ranking"
    MATRIX = "matrix"


class Poll(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=500)
    description = fields.TextField(default="")
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="polls", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    min_age = fields.IntField(null=True)
    verified_only = fields.BooleanField(default=True)
    min_group_size = fields.IntField(default=10)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(PollStatus, max_length=24, default=PollStatus.DRAFT,
                                  db_index=True)
    revision = fields.IntField(default=0)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    next_check_at = fields.DatetimeField(null=True, db_index=True)

    territory_id: int

    class Meta:
        table = "poll"
        ordering = ["id"]


class PollQuestion(Model):
    id = fields.IntField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "vmeste.Poll", related_name="questions", on_delete=fields.CASCADE)
    position = fields.IntField(default=0)
    kind = fields.CharEnumField(QuestionKind, max_length=16)
    title = fields.CharField(max_length=1000)
    required = fields.BooleanField(default=True)
    # ``[{"key": "a", "title": "..."}, ...]`` for choice, ranking and matrix columns.
    choices = fields.JSONField(default=list)
    # A matrix's rows, ``[{"key": "r1", "title": "..."}, ...]``.
    rows = fields.JSONField(default=list)
    min_choices = fields.IntField(null=True)
    max_choices = fields.IntField(null=True)
    scale_min = fields.IntField(null=True)
    scale_max = fields.IntField(null=True)
    # Shown only after given answers: ``{"question": position, "anyOf": [keys]}``.
    show_if = fields.JSONField(null=True)

    poll_id: int

    class Meta:
        table = "poll_question"
        ordering = ["poll_id", "position", "id"]


class PollEvent(StepEvent):
    """One step in the life of a poll, never changed or removed."""

    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "vmeste.Poll", related_name="events", on_delete=fields.RESTRICT)

    poll_id: int

    class Meta:
        table = "poll_event"
        ordering = ["id"]
        indexes = (("poll_id", "id"),)


class PollParticipation(Model):
    """That a person answered (never what), with their groups at that moment."""

    # Random, as a response id is: a sequence would order the participations, and their
    # ranks matched against the responses' minutes would join who answered to what.
    id = fields.UUIDField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "vmeste.Poll", related_name="participations", on_delete=fields.RESTRICT)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="poll_participations", on_delete=fields.RESTRICT)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="poll_participations", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255)
    territory_group = fields.CharField(max_length=16)
    age_band = fields.CharField(max_length=16)
    gender = fields.CharField(max_length=8)
    responded_on = fields.DateField()

    poll_id: int
    user_id: int
    territory_id: int

    class Meta:
        table = "poll_participation"
        unique_together = (("poll", "user"),)


class PollResponse(Model):
    """What was answered, with the groups but not the person."""

    id = fields.UUIDField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "vmeste.Poll", related_name="responses", on_delete=fields.RESTRICT)
    # ``{question_id: answer}`` as validated (see the poll's answer kinds).
    answers = fields.JSONField()
    territory_path = fields.CharField(max_length=255)
    territory_group = fields.CharField(max_length=16)
    age_band = fields.CharField(max_length=16)
    gender = fields.CharField(max_length=8)
    shard = fields.SmallIntField(default=0)
    submitted_minute = fields.DatetimeField()
    #: HMAC(VMESTE_BALLOT_KEY, poll, person, idempotency key), where one was sent.
    replay_key = fields.CharField(max_length=64, null=True, unique=True)

    poll_id: int

    class Meta:
        table = "poll_response"
        indexes = (("poll_id", "territory_path"),)


class TextStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PollTextAnswer(Model):
    """A free-text answer, published only once a moderator approves it, its id is
    random like a response's, so its order does not point at a participation."""

    id = fields.UUIDField(primary_key=True)
    poll: fields.ForeignKeyRelation[Poll] = fields.ForeignKeyField(
        "vmeste.Poll", related_name="text_answers", on_delete=fields.RESTRICT)
    question: fields.ForeignKeyRelation[PollQuestion] = fields.ForeignKeyField(
        "vmeste.PollQuestion", related_name="text_answers", on_delete=fields.RESTRICT)
    text = fields.TextField()
    status = fields.CharEnumField(TextStatus, max_length=16, default=TextStatus.PENDING,
                                  db_index=True)
    territory_group = fields.CharField(max_length=16)
    moderated_by = fields.CharField(max_length=300, default="")
    reason = fields.TextField(default="")
    moderated_at = fields.DatetimeField(null=True)
    submitted_minute = fields.DatetimeField()

    poll_id: int
    question_id: int

    class Meta:
        table = "poll_text_answer"
        ordering = ["submitted_minute", "id"]
