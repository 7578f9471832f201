"""Votes, their options and history, who voted (participations) and what was voted
(ballots), kept apart; the quarantines and alerts of the integrity watch.

The two halves of a vote are never joined by a column. A participation names the
person; a ballot names no one. A ballot's id is random and its time is kept to the
minute, so neither order nor time joins them. Only a keyed hash links a person to
their ballot (``voter_key``, for revoting; ``replay_key``, for an idempotent retry),
and its key (``VMESTE_BALLOT_KEY``) lives outside the database, so a database dump
alone cannot join them. See docs/votes.md for what remains (small groups, the
physical row order of a live database) and how it is mitigated.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from vmeste.platform.history import StepEvent


class VoteStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    RESULTS_PUBLISHED = "results_published"


class WinnerRule(StrEnum):
    """How a budget vote's winners are chosen (other methods take the top N)."""

    GREEDY = "greedy"
    EQUAL_SHARES = "equal_shares"


class BallotChannel(StrEnum):
    """Where a ballot was cast: online, or on paper recorded by an operator."""

    ONLINE = "online"
    PAPER = "paper"


class Vote(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=500)
    description = fields.TextField(default="")
    # The audience: residents of this territory's subtree.
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="votes", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    #: The federal (or regional) template this vote instantiates: its rules are copied,
    # its options are this vote's own.
    template: fields.ForeignKeyNullableRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="instances", null=True, on_delete=fields.RESTRICT)
    is_template = fields.BooleanField(default=False)
    # A ``vote_method`` strategy's name: single, approval, cumulative, budget.
    method = fields.CharField(max_length=32)
    max_choices = fields.IntField(null=True)
    points = fields.IntField(null=True)
    max_points_per_option = fields.IntField(null=True)
    budget = fields.BigIntField(null=True)
    min_budget_share = fields.FloatField(null=True)
    min_projects = fields.IntField(null=True)
    max_projects = fields.IntField(null=True)
    winners_count = fields.IntField(default=1)
    winner_rule = fields.CharEnumField(WinnerRule, max_length=16, default=WinnerRule.GREEDY)
    min_age = fields.IntField(null=True)
    verified_only = fields.BooleanField(default=True)
    allow_revote = fields.BooleanField(default=False)
    #: Results by subscription while the vote is open.
    live_results = fields.BooleanField(default=False)
    min_group_size = fields.IntField(default=10)
    opens_at = fields.DatetimeField(null=True)
    closes_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(VoteStatus, max_length=24, default=VoteStatus.DRAFT,
                                  db_index=True)
    revision = fields.IntField(default=0)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    #: The bulletin board, fixed at closing: its Merkle root and how many receipts.
    board_root = fields.CharField(max_length=64, null=True)
    board_size = fields.IntField(null=True)
    #: When the watchdog next looks at it (closing time, the integrity check).
    next_check_at = fields.DatetimeField(null=True, db_index=True)

    territory_id: int
    template_id: int | None

    class Meta:
        table = "vote"
        ordering = ["id"]


class VoteOption(Model):
    id = fields.IntField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="options", on_delete=fields.CASCADE)
    position = fields.IntField(default=0)
    title = fields.CharField(max_length=500)
    description = fields.TextField(default="")
    # A project's cost, in roubles (budget votes).
    cost = fields.BigIntField(null=True)
    #: Open only to residents of this sub-territory, where set.
    territory: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="vote_options", null=True, on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, null=True)
    photos = fields.JSONField(default=list)
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)

    vote_id: int
    territory_id: int | None

    class Meta:
        table = "vote_option"
        ordering = ["vote_id", "position", "id"]


class VoteEvent(StepEvent):
    """One step in the life of a vote (not a ballot: ballots leave no event, since a
    timed event per voter would join who voted to what), never changed or removed."""

    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="events", on_delete=fields.RESTRICT)

    vote_id: int

    class Meta:
        table = "vote_event"
        ordering = ["id"]
        indexes = (("vote_id", "id"),)


class VoteParticipation(Model):
    """That a person voted (never what): one per person per vote, online or on paper,
    with the profile facts taken at that moment."""

    # Random, as a ballot id is: a sequence would order the participations, and their
    # ranks matched against the ballots' minutes would join who voted to what.
    id = fields.UUIDField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="participations", on_delete=fields.RESTRICT)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.User", related_name="vote_participations", on_delete=fields.RESTRICT)
    channel = fields.CharEnumField(BallotChannel, max_length=8)
    #: The operator who recorded a paper ballot.
    recorded_by = fields.CharField(max_length=300, default="")
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="vote_participations", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255)
    territory_group = fields.CharField(max_length=16)
    age_band = fields.CharField(max_length=16)
    gender = fields.CharField(max_length=8)
    # The day, in the vote territory's time zone: no finer, so it cannot be matched
    # to a ballot's minute.
    voted_on = fields.DateField()
    revotes = fields.SmallIntField(default=0)

    vote_id: int
    user_id: int
    territory_id: int

    class Meta:
        table = "vote_participation"
        unique_together = (("vote", "user"),)


class VoteQuarantine(Model):
    """A territory's ballots cast in a window, held out of the results with a reason
    until released, listed in the public integrity log."""

    id = fields.IntField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="quarantines", on_delete=fields.RESTRICT)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="vote_quarantines", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    reason = fields.TextField()
    ballots = fields.IntField(default=0)
    created_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField(auto_now_add=True)
    released_at = fields.DatetimeField(null=True)
    released_by = fields.CharField(max_length=300, default="")
    release_reason = fields.TextField(default="")

    vote_id: int
    territory_id: int

    class Meta:
        table = "vote_quarantine"
        ordering = ["id"]


class Ballot(Model):
    """What was voted, with the voter's groups (for breakdowns) but not the voter."""

    id = fields.UUIDField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="ballots", on_delete=fields.RESTRICT)
    #: ``[[option_id, points], ...]`` sorted by option: the canonical content the
    #: receipt is a hash of.
    choices = fields.JSONField()
    #: sha256 over the vote, the content and ``nonce``: the voter keeps it.
    receipt = fields.CharField(max_length=64, unique=True)
    #: Random, never shown to the voter, so a receipt cannot prove how anyone voted.
    nonce = fields.CharField(max_length=64)
    channel = fields.CharEnumField(BallotChannel, max_length=8)
    # The path of the voter's territory group (never their settlement).
    territory_path = fields.CharField(max_length=255)
    territory_group = fields.CharField(max_length=16)
    age_band = fields.CharField(max_length=16)
    gender = fields.CharField(max_length=8)
    # Cast time truncated to the minute (the integrity watch's unit) until the results
    # are published, then to the start of its UTC day.
    cast_minute = fields.DatetimeField()
    #: The tally shard its counts went to (taken back from the same one).
    shard = fields.SmallIntField(default=0)
    #: HMAC(VMESTE_BALLOT_KEY, vote, person), only where the vote allows revoting.
    voter_key = fields.CharField(max_length=64, null=True, unique=True)
    #: HMAC(VMESTE_BALLOT_KEY, vote, person, idempotency key), where one was sent.
    replay_key = fields.CharField(max_length=64, null=True, unique=True)
    quarantine: fields.ForeignKeyNullableRelation[VoteQuarantine] = fields.ForeignKeyField(
        "vmeste.VoteQuarantine", related_name="held_ballots", null=True,
        on_delete=fields.RESTRICT)

    vote_id: int
    quarantine_id: int | None

    class Meta:
        table = "vote_ballot"
        indexes = (("vote_id", "cast_minute", "territory_group"),
                   ("vote_id", "territory_path"))


class AlertStatus(StrEnum):
    OPEN = "open"
    QUARANTINED = "quarantined"
    DISMISSED = "dismissed"


class IntegrityAlert(Model):
    """A minute in which a territory's ballots stood far above its own baseline."""

    id = fields.IntField(primary_key=True)
    vote: fields.ForeignKeyRelation[Vote] = fields.ForeignKeyField(
        "vmeste.Vote", related_name="alerts", on_delete=fields.RESTRICT)
    territory_group = fields.CharField(max_length=16)
    minute = fields.DatetimeField()
    ballots = fields.IntField()
    baseline = fields.FloatField()
    threshold = fields.FloatField()
    status = fields.CharEnumField(AlertStatus, max_length=16, default=AlertStatus.OPEN)
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_by = fields.CharField(max_length=300, default="")
    resolution = fields.TextField(default="")

    vote_id: int

    class Meta:
        table = "vote_integrity_alert"
        ordering = ["id"]
        unique_together = (("vote", "territory_group", "minute"),)
