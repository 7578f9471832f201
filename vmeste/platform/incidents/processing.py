"""NEW posts into incidents: the processing batch and its outbox job.

A batch claims the oldest NEW posts in one transaction and decides each one:

- a comment under a post already in an incident, or under an answer published from
  an official account, joins that incident whatever the rules say (followed through
  ``merged_into``); the comments under a published answer are returned to the caller
  as ``(incident_id, post_id)``, since they may be the author's score of it;
- otherwise the active monitoring rules decide: a rule listing pages takes the posts
  on those pages, a rule listing keywords the posts containing one (matched on lemmas,
  a phrase as lemmas in a row), a rule listing both the posts on its pages containing
  a keyword; a post no rule takes is IGNORED;
- a taken post joins the open incident of its territory and topic whose last post is
  within the region's merge window and whose lemmas are most alike, at least the
  region's merge similarity (the ``incident_sla`` policy); otherwise it opens a NEW
  incident, whose SLA clock the deadline watchdog starts on its next sweep.

The territory is the official page's when the post is on a registry page, else the
rule's. Every incident written takes its step (CREATE, or ATTACH under its revision)
with its event and outbox messages in the batch's transaction, so a batch that fails
leaves its posts NEW for the next one, and a retried job does nothing twice.

Two workers may run batches at once. On PostgreSQL each claims its posts with ``FOR
UPDATE SKIP LOCKED``, then takes a transaction advisory lock for every (territory,
topic) its posts merge under, in one sorted order, so two batches never open two
incidents about one problem; the incidents a batch may add to are locked all at once
in ascending id, the order merging and splitting lock in. On SQLite writing
transactions are serialised already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.incidents import satisfaction, similarity, sla
from vmeste.platform.incidents.ingest import PROCESS_TOPIC
from vmeste.platform.incidents.lifecycle import OPEN, Action
from vmeste.platform.incidents.matching import Place, Rule
from vmeste.platform.incidents.models import (
    Incident,
    IncidentReply,
    IncidentStatus,
    MonitoringRule,
    PostState,
    ReplyStatus,
    SocialPost,
)
from vmeste.platform.incidents.policy import IncidentPolicy, policy_for
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.outbox.topics import Topic
from vmeste.platform.publics.classifier import Suggestion, suggest_by_keywords
from vmeste.platform.publics.lemmas import lemmas
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.reference.models import Territory

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

ACTOR = "system:incidents"
#: Posts a batch claims: a short transaction, a few hundred steps at most.
LIMIT = 200
#: The most open incidents of one territory and topic a post is compared with.
CANDIDATES = 200
#: How far ``merged_into`` is followed (a merge repoints earlier merges, so one step
#: is the rule; more is a guard).
MERGE_HOPS = 8


@dataclass
class ProcessResult:
    processed: int = 0
    #: Incidents opened.
    created: int = 0
    #: Posts that joined an incident (a new one or not).
    attached: int = 0
    ignored: int = 0
    #: Comments under a published answer, as (incident id, post id): the satisfaction
    #: follow-up reads them as the author's score.
    reply_comments: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Target:
    """An incident the batch writes: a new one (``row.id`` None until created) or an
    open one locked for the batch, with the posts it takes."""

    row: Incident
    new: bool
    post_ids: list[int] = field(default_factory=list)

    def take(self, post: SocialPost) -> None:
        row = self.row
        if not self.post_ids and self.new:
            row.first_posted_at = row.last_posted_at = post.posted_at
        row.first_posted_at = min(row.first_posted_at, post.posted_at)
        row.last_posted_at = max(row.last_posted_at, post.posted_at)
        row.post_count += 1
        row.lemmas = similarity.bag([post.text], row.lemmas)
        self.post_ids.append(post.id)


async def _claim(conn: BaseDBAsyncClient, limit: int, postgres: bool) -> list[SocialPost]:
    query = SocialPost.filter(state=PostState.NEW).order_by("id").limit(limit).using_db(conn)
    if postgres:
        query = query.select_for_update(skip_locked=True)
    return list(await query)


async def _lock_keys(conn: BaseDBAsyncClient, keys: Sequence[tuple[str, str]]) -> None:
    """One advisory lock per merge key, until the transaction ends, all in one sorted
    order (so no two batches wait on each other)."""
    if keys:
        await conn.execute_query(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) "
            "WITH ORDINALITY AS t(k, n) ORDER BY n",
            [[f"incident:{path}:{topic}" for path, topic in sorted(keys)]])


class Batch:
    """One batch: its posts' decisions (:meth:`decide`), where each goes
    (:meth:`place`), then the writes (:meth:`write`)."""

    def __init__(self, conn: BaseDBAsyncClient, services: IncidentServices, now: datetime,
                 postgres: bool) -> None:
        self.conn, self.services, self.now, self.postgres = conn, services, now, postgres
        self.result = ProcessResult()
        self.policies: dict[str, IncidentPolicy] = {}
        self.suggestions: dict[int, Suggestion] = {}
        self.decided: dict[int, tuple[Rule, Place] | None] = {}
        #: Each merge key's earliest post and merge window, so its candidates are read
        #: once for all its posts.
        self.earliest: dict[tuple[str, str], datetime] = {}
        self.windows: dict[tuple[str, str], timedelta] = {}
        #: Incidents read for the batch by id (locked), each key's open ones (ids), and
        #: the ones the batch opens, by key.
        self.targets: dict[int, Target] = {}
        self.open: dict[tuple[str, str], list[int]] = {}
        self.fresh: dict[tuple[str, str], list[Target]] = {}
        #: (network, post ref) → incident id of the posts stored before, for comments;
        #: the batch's own posts, with their targets.
        self.threads: dict[tuple[str, str, str], int] = {}
        self.replies: dict[tuple[str, str, str], int] = {}
        self.joined: dict[tuple[str, str, str], Target] = {}
        #: Comments kept with a finished incident (post id, incident id).
        self.linked: list[tuple[int, int]] = []
        #: Comments under a published answer, with their incident.
        self.answers: list[tuple[Target, int]] = []
        self.ignored: list[int] = []

    async def load(self, posts: list[SocialPost]) -> None:
        """The threads the comments answer, the rules, and the pages and territories
        they name."""
        parents = {p.parent_ref for p in posts if p.parent_ref}
        networks = {p.network for p in posts if p.parent_ref}
        walls = {p.page_ref for p in posts if p.parent_ref}
        for network, wall, ref, incident in await SocialPost.filter(
                network__in=networks, page_ref__in=walls, post_ref__in=parents,
                incident_id__isnull=False).using_db(self.conn).values_list(
                "network", "page_ref", "post_ref", "incident_id"):
            self.threads[(network, wall, ref)] = incident
        for network, wall, ref, incident in await IncidentReply.filter(
                status=ReplyStatus.PUBLISHED, comment_ref__in=parents).using_db(
                self.conn).values_list("incident__official_page__network",
                                       "incident__official_page__page_ref", "comment_ref",
                                       "incident_id"):
            self.replies[(network, wall, ref)] = incident
        rules = await MonitoringRule.filter(active=True).using_db(self.conn)
        page_ids = {int(pk) for rule in rules for pk in rule.page_ids}
        pages = await OfficialPage.filter(page_ref__in={p.page_ref for p in posts}).using_db(
            self.conn).values("id", "network", "page_ref", "territory_id", "territory_path")
        ruled = await OfficialPage.filter(id__in=page_ids).using_db(self.conn).values(
            "id", "network", "page_ref")
        codes = {pk: (code, zone) for pk, code, zone in await Territory.filter(
            id__in={r.territory_id for r in rules} | {p["territory_id"] for p in pages}
        ).using_db(self.conn).values_list("id", "code", "timezone")}
        self.registry = {(p["network"], p["page_ref"]): Place(
            p["territory_id"], p["territory_path"], *codes[p["territory_id"]], p["id"])
            for p in pages}
        refs = {p["id"]: (p["network"], p["page_ref"]) for p in ruled}
        self.rules = [Rule(rule.id, Place(rule.territory_id, rule.territory_path,
                                          *codes[rule.territory_id], None),
                           frozenset(refs[int(pk)] for pk in rule.page_ids if int(pk) in refs),
                           tuple(phrase for phrase in (lemmas(str(k)) for k in rule.keywords)
                                 if phrase))
                      for rule in rules]

    def rule_for(self, post: SocialPost) -> tuple[Rule, Place] | None:
        """The rule taking the post (a rule naming its page before one that does not,
        then the oldest), and where its incident belongs."""
        words = lemmas(post.text)
        taking = [rule for rule in self.rules if rule.takes(post, words)]
        if not taking:
            return None
        rule = min(taking, key=lambda r: (not r.pages, r.id))
        return rule, self.registry.get((post.network, post.page_ref), rule.place)

    async def decide(self, posts: list[SocialPost]) -> list[tuple[str, str]]:
        """Each post's topic and rule; the merge keys the batch may open incidents
        under, each with its earliest post and its region's merge window."""
        for post in posts:
            self.suggestions[post.id] = suggest_by_keywords(post.text)
            decided = self.decided[post.id] = self.rule_for(post)
            if decided is not None:
                key = self.key(post, decided[1])
                self.earliest[key] = min(self.earliest.get(key, post.posted_at),
                                         post.posted_at)
                self.windows[key] = timedelta(hours=(await self.policy(
                    decided[1].territory_code)).merge_window_hours)
        return list(self.earliest)

    def key(self, post: SocialPost, where: Place) -> tuple[str, str]:
        return where.territory_path, self.suggestions[post.id].topic

    async def policy(self, code: str) -> IncidentPolicy:
        if code not in self.policies:
            self.policies[code] = await policy_for(self.services.resolver, code)
        return self.policies[code]

    async def lock(self) -> None:
        """Every incident the batch may write, locked at once in ascending id, the
        order merging and splitting lock in (so neither deadlocks with a batch): those
        the comments answer (through their merges) and each key's open ones, the
        latest posted first."""
        conn, wanted = self.conn, {*self.threads.values(), *self.replies.values()}
        frontier = set(wanted)
        for _hop in range(MERGE_HOPS):
            frontier = set(await Incident.filter(
                id__in=frontier, status=IncidentStatus.MERGED).using_db(conn).values_list(
                "merged_into_id", flat=True)) - wanted - {None}
            if not frontier:
                break
            wanted |= frontier
        for key, earliest in self.earliest.items():
            self.open[key] = list(await Incident.filter(
                status__in=OPEN, territory_path=key[0], topic=key[1],
                last_posted_at__gte=earliest - self.windows[key]).order_by(
                "-last_posted_at", "id").limit(CANDIDATES).using_db(conn).values_list(
                "id", flat=True))
            wanted.update(self.open[key])
        query = Incident.filter(id__in=wanted).order_by("id").using_db(conn)
        for row in await (query.select_for_update() if self.postgres else query):
            self.targets[row.id] = Target(row, new=False)

    async def existing(self, incident_id: int) -> Target | None:
        """The incident, followed through its merges, as a target (locked before, or
        now when it was merged since)."""
        for _hop in range(MERGE_HOPS):
            target = self.targets.get(incident_id)
            if target is None:
                query = Incident.filter(id=incident_id).using_db(self.conn)
                row = await (query.select_for_update() if self.postgres else query).first()
                if row is None:
                    return None
                target = self.targets[row.id] = Target(row, new=False)
            if target.row.status != IncidentStatus.MERGED or target.row.merged_into_id is None:
                return target
            incident_id = target.row.merged_into_id
        return None

    def candidates(self, key: tuple[str, str]) -> list[Target]:
        """The key's open incidents (as locked: one closed meanwhile is left out), then
        the ones this batch opened."""
        return [self.targets[pk] for pk in self.open.get(key, ())
                if self.targets[pk].row.status in OPEN] + self.fresh.get(key, [])

    async def thread(self, post: SocialPost) -> bool:
        """A comment joins the incident of what it answers; False when it answers
        nothing known."""
        answered = (post.network, post.page_ref, post.parent_ref)
        reply = self.replies.get(answered)
        target = self.joined.get(answered)
        if target is None:
            incident = self.threads.get(answered, reply)
            target = None if incident is None else await self.existing(incident)
        if target is None:
            return False
        if target.new or target.row.status in OPEN:
            target.take(post)
        else:  # kept with its finished incident, which no step changes
            self.linked.append((post.id, target.row.id))
        self.joined[(post.network, post.page_ref, post.post_ref)] = target
        if reply is not None:
            self.answers.append((target, post.id))
        return True

    async def place(self, post: SocialPost) -> None:
        if post.parent_ref and await self.thread(post):
            return
        decided = self.decided[post.id]
        if decided is None:
            self.ignored.append(post.id)
            return
        rule, where = decided
        policy = await self.policy(where.territory_code)
        key = self.key(post, where)
        pool = [t for t in self.candidates(key)
                if t.row.last_posted_at >= post.posted_at - self.windows[key]]
        found = similarity.most_similar(post.text, [t.row.lemmas for t in pool],
                                        policy.merge_similarity)
        if found is not None:
            target = pool[found]
        else:
            suggestion = self.suggestions[post.id]
            target = Target(Incident(
                status=IncidentStatus.NEW, topic=suggestion.topic,
                topic_confidence=suggestion.confidence, territory_id=where.territory_id,
                territory_path=where.territory_path, official_page_id=where.page_id,
                rule_id=rule.id, lemmas="", post_count=0,
                **sla.scheduled(self.now, where.timezone)), new=True)
            self.fresh.setdefault(key, []).append(target)
        target.take(post)
        self.joined[(post.network, post.page_ref, post.post_ref)] = target

    async def write(self, posts: list[SocialPost]) -> None:
        """Each incident's step, then the posts' states, one update per group."""
        conn = self.conn
        written = [*self.targets.values(), *(t for ts in self.fresh.values() for t in ts)]
        for target in written:
            if not target.post_ids:
                continue
            row = target.row
            payload: dict[str, Any] = {"post_ids": target.post_ids}
            if target.new:
                await row.save(using_db=conn)
                await INCIDENT_STEPS.record(conn, row, ACTOR, Action.CREATE, None, row.status,
                                            payload={**payload, "topic": row.topic})
                self.result.created += 1
            else:
                INCIDENT_STEPS.require(Action.ATTACH, row)
                await INCIDENT_STEPS.move(conn, row, ACTOR, Action.ATTACH, row.status,
                                          payload=payload)
            self.result.attached += len(target.post_ids)
        groups: dict[tuple[PostState, int | None, str], list[int]] = {}
        placed = [(pk, t.row.id) for t in written for pk in t.post_ids] + self.linked
        for pk, incident in placed:
            groups.setdefault((PostState.ATTACHED, incident, self.suggestions[pk].topic),
                              []).append(pk)
        for pk in self.ignored:
            groups.setdefault((PostState.IGNORED, None, self.suggestions[pk].topic),
                              []).append(pk)
        for (state, incident, topic), ids in groups.items():
            await SocialPost.filter(id__in=ids).using_db(conn).update(
                state=state, incident_id=incident, topic=topic)
        self.result.processed = len(posts)
        self.result.ignored = len(self.ignored)
        self.result.attached += len(self.linked)
        self.result.reply_comments = [(t.row.id, pk) for t, pk in self.answers]


async def process_batch(services: IncidentServices, now: datetime, limit: int = LIMIT
                        ) -> ProcessResult:
    """Up to ``limit`` NEW posts decided and written in one transaction (see the
    module's docstring); an empty result when none is waiting (or another batch holds
    them)."""
    async with in_transaction() as conn:
        postgres = conn.capabilities.dialect == "postgres"
        posts = await _claim(conn, limit, postgres)
        if not posts:
            return ProcessResult()
        batch = Batch(conn, services, now, postgres)
        await batch.load(posts)
        keys = await batch.decide(posts)
        if postgres:
            await _lock_keys(conn, keys)
        await batch.lock()
        # In time order, so a post is placed before the comments answering it.
        for post in sorted(posts, key=lambda p: (p.posted_at, p.id)):
            await batch.place(post)
        await batch.write(posts)
        # The author's answers to a published reply are scored in the batch's
        # transaction, so a score is never lost between the two (each is its own
        # step, a savepoint, under the incident's revision).
        await satisfaction.read_scores(services, batch.result.reply_comments, now)
    return batch.result


async def _process_job(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    """Batches until no NEW post is left; how many posts it processed."""
    services = runtime.service(IncidentServices)
    total = 0
    while processed := (await process_batch(services, services.clock())).processed:
        total += processed
    return total


async def _national(payload: dict[str, Any]) -> str:
    return ""


PROCESS_JOB = Topic(PROCESS_TOPIC, "vmeste.incidents_process", "incidents", _process_job,
                    _national)
