"""Social-media posts, the monitoring rules that select them, the incidents they join,
and the answers published from the official accounts (DESIGN §7, §10).

Every post is kept with its network id, deduplicated by (network, page, post id) since
networks number posts per page, so a merge of incidents can be undone and a post
fetched twice is stored once. An incident's SLA
moments are stored beside it (the deadline watchdog sweeps ``next_check_at``), and the
first response is stored in seconds, so the statistics are sums and counts in SQL.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from vmeste.platform.history import StepEvent


class PostState(StrEnum):
    """NEW posts wait for the processing batch; IGNORED matched no monitoring rule;
    ATTACHED joined an incident; FEEDBACK was an author's score of an answer."""

    NEW = "new"
    IGNORED = "ignored"
    ATTACHED = "attached"
    FEEDBACK = "feedback"


class IncidentStatus(StrEnum):
    NEW = "new"
    #: Reacted to, and the routing engine found no body: the region routes it by hand.
    UNROUTED = "unrouted"
    ROUTED = "routed"
    ANSWERED = "answered"
    CLOSED = "closed"
    DISMISSED = "dismissed"
    MERGED = "merged"
    #: It became an appeal, which goes on under the appeals' rules.
    APPEALED = "appealed"


class ReplyKind(StrEnum):
    #: Says the problem is being worked on. The full answer is then due within the
    #: SLA's interim term.
    INTERIM = "interim"
    FINAL = "final"


class ReplyStatus(StrEnum):
    DRAFT = "draft"
    #: Approved by a responsible person, the publication job is queued.
    APPROVED = "approved"
    PUBLISHED = "published"
    #: The network refused it for good (the text, the page): it needs a new draft.
    FAILED = "failed"
    REJECTED = "rejected"


class SatisfactionSource(StrEnum):
    #: The author answered the follow-up with a score.
    AUTHOR = "author"
    #: An operator read it from the reactions to the answer.
    REACTIONS = "reactions"


class MonitoringRule(Model):
    """Which posts become incidents: those on the listed official pages, or matching a
    keyword, or both. The rule's territory is theirs unless their page says otherwise."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=300)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="monitoring_rules", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    #: Keywords and phrases as written, matched on lemmas.
    keywords = fields.JSONField(default=list)
    #: Official page ids whose posts and comments the rule takes (and fetches).
    page_ids = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    #: Each fetched page's cursor, by official page id.
    cursors = fields.JSONField(default=dict)
    #: Each page's last refusal by the network, by official page id (its kind, the
    #: connector's secret-free message and when), until a fetch of the page succeeds.
    errors = fields.JSONField(default=dict)
    fetch_every_minutes = fields.IntField(default=15)
    next_fetch_at = fields.DatetimeField(null=True, db_index=True)
    created_by = fields.CharField(max_length=300)
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    territory_id: int

    class Meta:
        table = "monitoring_rule"
        ordering = ["id"]


class Incident(Model):
    id = fields.BigIntField(primary_key=True)
    status = fields.CharEnumField(IncidentStatus, max_length=16, default=IncidentStatus.NEW,
                                  db_index=True)
    topic = fields.CharField(max_length=64)
    topic_confidence = fields.FloatField(default=0.0)
    #: An operator confirmed or corrected the topic (a training example).
    topic_confirmed = fields.BooleanField(default=False)
    territory: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "vmeste.Territory", related_name="incidents", on_delete=fields.RESTRICT)
    territory_path = fields.CharField(max_length=255, db_index=True)
    category: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Category", related_name="incidents", null=True, on_delete=fields.RESTRICT)
    organization: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Organization", related_name="incidents", null=True, on_delete=fields.RESTRICT)
    #: The page answers are published from (the page of the first post, when official).
    official_page: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.OfficialPage", related_name="incidents", null=True, on_delete=fields.RESTRICT)
    rule: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.MonitoringRule", related_name="incidents", null=True,
        on_delete=fields.SET_NULL)
    #: The lemmas of the posts, for merging by similarity.
    lemmas = fields.TextField(default="")
    post_count = fields.IntField(default=0)
    first_posted_at = fields.DatetimeField()
    last_posted_at = fields.DatetimeField(db_index=True)
    #: When the platform saw it: the SLA counts from here.
    registered_at = fields.DatetimeField(db_index=True)
    #: The day of ``registered_at`` in the territory's time zone (statistics by day).
    registered_on = fields.DateField(db_index=True)
    routing = fields.JSONField(default=dict)
    reaction_due_at = fields.DatetimeField(null=True)
    answer_due_at = fields.DatetimeField(null=True)
    reacted_at = fields.DatetimeField(null=True)
    #: The first answer published (interim or final), and how long it took.
    first_response_at = fields.DatetimeField(null=True)
    first_response_seconds = fields.IntField(null=True)
    answered_at = fields.DatetimeField(null=True)
    reaction_late = fields.BooleanField(null=True)
    answer_late = fields.BooleanField(null=True)
    #: How many reminders the current stage has had, and whether it was escalated.
    reminders = fields.IntField(default=0)
    escalated = fields.BooleanField(default=False)
    next_check_at = fields.DatetimeField(null=True, db_index=True)
    satisfaction = fields.IntField(null=True)
    satisfaction_source = fields.CharEnumField(SatisfactionSource, max_length=16, null=True)
    merged_into: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Incident", related_name="merged", null=True, on_delete=fields.RESTRICT)
    appeal: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "vmeste.Appeal", related_name="incidents", null=True, on_delete=fields.RESTRICT)
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    territory_id: int
    category_id: int | None
    organization_id: int | None
    official_page_id: int | None
    rule_id: int | None
    merged_into_id: int | None
    appeal_id: int | None

    class Meta:
        table = "incident"
        ordering = ["id"]
        indexes = (("status", "topic", "territory_path", "last_posted_at"),)


class IncidentEvent(StepEvent):
    incident: fields.ForeignKeyRelation[Incident] = fields.ForeignKeyField(
        "vmeste.Incident", related_name="events", on_delete=fields.RESTRICT)

    incident_id: int

    class Meta:
        table = "incident_event"
        ordering = ["id"]


class SocialPost(Model):
    """A post or comment as fetched, written in batches (COPY on PostgreSQL)."""

    id = fields.BigIntField(primary_key=True)
    network = fields.CharField(max_length=32)
    post_ref = fields.CharField(max_length=200)
    page_ref = fields.CharField(max_length=200, default="")
    #: The post a comment answers ("" for a post).
    parent_ref = fields.CharField(max_length=200, default="", db_index=True)
    #: The author's id on the network (needed to tell the author's follow-up apart).
    author_ref = fields.CharField(max_length=200, default="")
    text = fields.TextField()
    url = fields.CharField(max_length=500, default="")
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    posted_at = fields.DatetimeField()
    ingested_at = fields.DatetimeField()
    state = fields.CharEnumField(PostState, max_length=16, default=PostState.NEW)
    topic = fields.CharField(max_length=64, default="")
    incident: fields.ForeignKeyNullableRelation[Incident] = fields.ForeignKeyField(
        "vmeste.Incident", related_name="posts", null=True, on_delete=fields.RESTRICT)

    incident_id: int | None

    class Meta:
        table = "social_post"
        ordering = ["id"]
        unique_together = (("network", "page_ref", "post_ref"),)
        indexes = (("state", "id"),)


class IncidentReply(Model):
    """An answer: drafted, approved by a responsible person, published once through the
    page's connector under the idempotency key ``incident-reply-<id>``."""

    id = fields.BigIntField(primary_key=True)
    incident: fields.ForeignKeyRelation[Incident] = fields.ForeignKeyField(
        "vmeste.Incident", related_name="replies", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(ReplyKind, max_length=16, default=ReplyKind.FINAL)
    status = fields.CharEnumField(ReplyStatus, max_length=16, default=ReplyStatus.DRAFT)
    text = fields.TextField()
    #: The post the answer goes under (the incident's first post on its page).
    parent_ref = fields.CharField(max_length=200, default="")
    written_by = fields.CharField(max_length=300)
    approved_by = fields.CharField(max_length=300, default="")
    approved_at = fields.DatetimeField(null=True)
    #: The published comment's id on the network.
    comment_ref = fields.CharField(max_length=200, default="")
    #: A delivery whose outcome is unknown (the network failed mid-request): the next
    #: attempt checks before it posts.
    uncertain = fields.BooleanField(default=False)
    attempts = fields.IntField(default=0)
    error = fields.CharField(max_length=500, default="")
    published_at = fields.DatetimeField(null=True)
    revision = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    incident_id: int

    class Meta:
        table = "incident_reply"
        ordering = ["id"]


class TopicModelVersion(Model):
    """A topic model trained on the kept labelled posts and the incidents whose topic
    an operator confirmed or corrected, with its accuracy and the keywords' on the
    same test posts. Every version is kept, the latest is the one suggesting."""

    id = fields.IntField(primary_key=True)
    trained_at = fields.DatetimeField(db_index=True)
    #: Training posts in all, and how many of them came from confirmed incidents.
    examples = fields.IntField()
    confirmed_examples = fields.IntField(default=0)
    test_examples = fields.IntField()
    accuracy = fields.FloatField()
    keyword_accuracy = fields.FloatField()
    #: By topic code, the correct and total test posts of the model and of the keywords.
    topic_accuracy = fields.JSONField(default=dict)
    #: The model as :meth:`vmeste.platform.publics.classifier.TopicModel.to_json` writes it.
    model = fields.TextField()

    class Meta:
        table = "topic_model_version"
        ordering = ["id"]
