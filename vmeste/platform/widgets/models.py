"""A widget's configuration, kept by its body (or its municipality), and what the sites
carrying it report: opens and submissions per site origin and day, the figures the
publics' rule "widgets placed" and a body's administrators read."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class WidgetKind(StrEnum):
    """``appeal`` is "report a problem"; ``opinion`` is "give an opinion": the open polls
    and votes of the widget's territory (or the ones chosen), answered in the frame."""

    APPEAL = "appeal"
    OPINION = "opinion"


class WidgetStatus(StrEnum):
    """A RETIRED widget keeps its counts, but its page is no longer served."""

    ACTIVE = "active"
    RETIRED = "retired"


class Widget(Model):
    id = fields.IntField(primary_key=True)
    #: What the embed snippet names: random, so a widget's number is not guessable.
    public_key = fields.CharField(max_length=32, unique=True)
    kind = fields.CharEnumField(WidgetKind, max_length=16, default=WidgetKind.APPEAL)
    #: The body whose site holds the widget (empty for a municipality's own widget).
    organization: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="widgets", null=True, on_delete=fields.RESTRICT)
    #: Where the widget's map is drawn: the body's territory or the municipality.
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="widgets", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    title = fields.CharField(max_length=200)
    intro = fields.TextField(default="")
    #: ``ru`` or ``en``, or empty to follow the browser.
    language = fields.CharField(max_length=8, default="")
    colour = fields.CharField(max_length=7, default="#1f5fbf")
    #: The category codes the form offers, in the order shown.
    category_codes = fields.JSONField(default=list)
    #: The site origins allowed to frame the widget (CSP frame-ancestors).
    allowed_origins = fields.JSONField(default=list)
    #: An opinion widget's chosen polls (ids), empty for every open poll of its territory.
    poll_ids = fields.JSONField(default=list)
    #: An opinion widget's chosen votes (ids), empty for every open vote of its territory.
    vote_ids = fields.JSONField(default=list)
    status = fields.CharEnumField(WidgetStatus, max_length=16, default=WidgetStatus.ACTIVE,
                                  db_index=True)
    created_by = fields.CharField(max_length=300)
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    organization_id: int | None
    territory_id: int

    class Meta:
        table = "widget"
        ordering = ["id"]


class WidgetPlacement(Model):
    """One site's use of a widget on one day (the origin as the loader reports it)."""

    id = fields.BigIntField(primary_key=True)
    widget: fields.ForeignKeyRelation[Widget] = fields.ForeignKeyField(
        "vmeste.Widget", related_name="placements", on_delete=fields.RESTRICT)
    origin = fields.CharField(max_length=255)
    day = fields.DateField()
    opens = fields.IntField(default=0)
    submissions = fields.IntField(default=0)

    widget_id: int

    class Meta:
        table = "widget_placement"
        ordering = ["id"]
        unique_together = (("widget_id", "origin", "day"),)


class WidgetOpinionSubmission(Model):
    """A poll response or a ballot counted as an opinion widget's submission, by its own
    id (``poll-response:UUID``, ``ballot:ID``), so a report repeated counts once. The
    person is not kept: responses and ballots do not name them either."""

    id = fields.BigIntField(primary_key=True)
    subject = fields.CharField(max_length=64, unique=True)
    widget: fields.ForeignKeyRelation[Widget] = fields.ForeignKeyField(
        "vmeste.Widget", related_name="opinion_submissions", on_delete=fields.RESTRICT)
    origin = fields.CharField(max_length=255)
    counted_at = fields.DatetimeField()

    widget_id: int

    class Meta:
        table = "widget_opinion_submission"
        ordering = ["id"]


class WidgetSubmission(Model):
    """An appeal counted as a widget's submission, so a report repeated counts once."""

    id = fields.BigIntField(primary_key=True)
    appeal: fields.OneToOneRelation = fields.OneToOneField(
        "vmeste.Appeal", related_name="widget_submission", on_delete=fields.RESTRICT)
    widget: fields.ForeignKeyRelation[Widget] = fields.ForeignKeyField(
        "vmeste.Widget", related_name="submissions", on_delete=fields.RESTRICT)
    origin = fields.CharField(max_length=255)
    counted_at = fields.DatetimeField()

    appeal_id: int
    widget_id: int

    class Meta:
        table = "widget_submission"
        ordering = ["id"]
