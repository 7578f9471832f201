"""The social-media incidents of ``vmeste demo``: a week of Kirov residents' posts on the
official pages of the publics demo, turned into incidents and worked on, so the incident
list, the SLA columns and the statistics have something to show.

The region's monitoring rule takes the posts by keywords, and the demo stores them as
an import would. Time is replayed: each post (``demo_posts.jsonl``: the page, how many hours before
the load it was written, its author and text) is stored and processed with the
services' clock at its moment, so incidents are registered in the past and
near-duplicates merge as they would live. Each incident then follows a plan (by the
order the incidents were opened): the region's monitors react or dismiss, the body
drafts, its responsible person approves, the answer is published, and the author may
score it with a comment under it, each at a moment reckoned from the incident's own
terms, so some stages are on time and some late whatever the day the demo loads on.
A stage whose moment is still ahead is not taken: the latest incidents stay NEW.

The demo has no network, so publications are **recorded, not sent**: an approved
answer is recorded through :func:`vmeste.platform.incidents.publication.record_publication`,
the step the publication job ends in once the connector returns, with a made-up
comment id. Everything else goes through the same functions the API calls, as the
system principal, so the history is what real use leaves.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from itertools import count

from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents import merging, replies, rules, sla, triage
from vmeste.platform.incidents.ingest import IncomingPost, store_posts
from vmeste.platform.incidents.models import Incident, IncidentReply, ReplyKind, SocialPost
from vmeste.platform.incidents.policy import INCIDENT_SLA
from vmeste.platform.incidents.processing import process_batch
from vmeste.platform.incidents.publication import record_publication
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.policies.services import RegionPolicyInput, set_region_policy
from vmeste.platform.publics.demo import REGION, load_demo_pages
from vmeste.platform.publics.services import PublicsServices

PACKAGE = "vmeste.platform.incidents"
NETWORK = "vk"
#: Where the monitors send the municipal topics (roads, snow, buses): the city of Kirov.
CITY = "33701000"
RULE_NAME = "Дороги, снег, мусор, соцподдержка и транспорт в Кировской области"
#: The rule's keywords (a rule listing pages would have them read from VK every quarter
#: of an hour, and the demo has no network).
KEYWORDS = ("яма", "дорога", "асфальт", "снег", "гололёд", "сосулька", "мусор", "помойка",
            "свалка", "контейнерная площадка", "автобус", "маршрут", "остановка", "пособие",
            "выплата", "субсидия", "компенсация")
#: The rubricator category each topic is routed as (the region's ``incident_sla``).
TOPIC_CATEGORIES = {
    "road_repair": "roads.potholes", "snow_removal": "snow.roads",
    "cleaning_garbage": "garbage.containers", "social_aid": "social.benefits",
    "public_transport": "transport.routes",
}
MUNICIPAL_TOPICS = frozenset({"road_repair", "snow_removal", "public_transport"})
#: A post is fetched and processed this long after it was written.
FETCH_DELAY = timedelta(minutes=5)
#: How late a late stage is, past its due moment.
LATE_BY = timedelta(hours=3)
#: The author's score comes this long after the answer.
SCORE_AFTER = timedelta(hours=4)
ON_TIME, LATE = "on_time", "late"
MERGE_REASON = "Тот же двор и та же площадка"
MERGE_AFTER = timedelta(minutes=30)
ANSWER = "Работы включены в план, бригада выедет в ближайшие дни. Спасибо за сигнал."
INTERIM = "Обращение передано ответственным специалистам, ответим по существу в течение недели."


@dataclass(frozen=True)
class Plan:
    """What happens to one incident: the reaction and the answer on time, late or not
    at all (None), routed in the region instead of the city (no rule there: UNROUTED),
    an interim answer first, the author's score comment; or, instead of the reaction,
    a dismissal, or a merge into the incident of the plan numbered ``merge_into``."""

    reaction: str | None = ON_TIME
    answer: str | None = ON_TIME
    in_region: bool = False
    interim: bool = False
    score: str = ""
    dismiss: str = ""
    merge_into: int | None = None


#: The plans, in the order the incidents are opened (later ones stay NEW).
PLANS = (
    Plan(score="5"),  # ул. Ленина, 102: two posts merged by the batch
    Plan(answer=LATE),
    Plan(reaction=LATE),  # ул. Мира, 15: two posts merged by the batch, a third by hand
    Plan(merge_into=2),
    Plan(answer=LATE, score="2, ничего не изменилось"),  # reopened
    Plan(interim=True),
    Plan(),
    Plan(reaction=LATE, answer=LATE),
    Plan(),
    Plan(dismiss="Не проблема: благодарность водителю"),
    Plan(in_region=True),  # Стрижи: which municipality's road is not known
    Plan(),
    Plan(answer=None),
    Plan(reaction=LATE),
    Plan(),
    Plan(answer=None),
)


def demo_posts(now: datetime) -> list[IncomingPost]:
    """The demo's posts, oldest first, written ``hours_ago`` before ``now``."""
    lines = resources.files(PACKAGE).joinpath("demo_posts.jsonl").read_text("utf-8")
    posts = []
    for number, line in enumerate(lines.splitlines(), start=1):
        if line.strip():
            data = json.loads(line)
            posts.append(IncomingPost(
                network=NETWORK, post_ref=f"{data['page']}_{number}", page_ref=data["page"],
                parent_ref="", author_ref=data["author"], text=data["text"],
                url=f"https://vk.com/wall-{data['page']}_{number}", latitude=None,
                longitude=None, posted_at=now - timedelta(hours=data["hours_ago"])))
    return sorted(posts, key=lambda post: post.posted_at)


Step = Callable[[IncidentServices], Awaitable[None]]


class Replay:
    """The demo's steps in time order, each with the services' clock at its moment;
    a step may schedule later ones, and one whose moment is ahead of ``now`` is
    dropped."""

    def __init__(self, services: IncidentServices, now: datetime) -> None:
        self.services, self.now = services, now
        self.queue: list[tuple[datetime, int, Step]] = []
        self.order = count()
        self.plans: dict[int, Plan] = {}
        self.stored = 0

    def at(self, moment: datetime, step: Step) -> None:
        if moment <= self.now:
            heapq.heappush(self.queue, (moment, next(self.order), step))

    async def run(self) -> None:
        while self.queue:
            moment, _order, step = heapq.heappop(self.queue)
            await step(_at(self.services, moment))

    def post(self, post: IncomingPost) -> None:
        async def step(services: IncidentServices) -> None:
            now = services.clock()
            # Processed here at once, so no processing job is queued.
            self.stored += (await store_posts([post], now, process=False)).inserted
            await process_batch(services, now)
            incident_id = (await SocialPost.get(network=post.network,
                                                post_ref=post.post_ref)).incident_id
            if incident_id is not None and incident_id not in self.plans:
                # A post that opened an incident: its plan, by the incidents' order.
                number = len(self.plans)
                plan = self.plans[incident_id] = (PLANS[number] if number < len(PLANS)
                                                  else Plan(reaction=None))
                await self.plan_reaction(services, incident_id, plan)

        self.at(post.posted_at + FETCH_DELAY, step)

    async def plan_reaction(self, services: IncidentServices, incident_id: int,
                            plan: Plan) -> None:
        if plan.reaction is None:
            return
        incident = await Incident.get(id=incident_id)
        due = await sla.reaction_due(services, incident, await sla.policy_of(services,
                                                                             incident))
        # A duplicate is merged soon, while the incident it joins is surely still open.
        moment = (incident.registered_at + MERGE_AFTER if plan.merge_into is not None
                  else _moment(incident.registered_at, due, plan.reaction))

        async def react(services: IncidentServices) -> None:
            if plan.dismiss:
                await triage.dismiss(services, SYSTEM, incident_id, plan.dismiss)
                return
            if plan.merge_into is not None:
                target = list(self.plans)[plan.merge_into]
                await merging.merge(SYSTEM, target, [incident_id], MERGE_REASON)
                return
            row = await Incident.get(id=incident_id)
            city = CITY if row.topic in MUNICIPAL_TOPICS and not plan.in_region else None
            reacted = await triage.react(services, SYSTEM, incident_id, territory_code=city)
            if reacted.organization_id is not None and plan.answer is not None:
                assert reacted.reacted_at is not None and reacted.answer_due_at is not None
                if plan.interim:
                    interim = _moment(reacted.reacted_at, reacted.answer_due_at, ON_TIME)
                    self.answer(incident_id, ReplyKind.INTERIM, reacted.reacted_at, interim)
                    self.answer(incident_id, ReplyKind.FINAL, interim,
                                interim + timedelta(days=1), plan.score)
                else:
                    self.answer(incident_id, ReplyKind.FINAL, reacted.reacted_at, _moment(
                        reacted.reacted_at, reacted.answer_due_at, plan.answer), plan.score)

        self.at(moment, react)

    def answer(self, incident_id: int, kind: ReplyKind, since: datetime, moment: datetime,
               score: str = "") -> None:
        """Drafted and approved between ``since`` and ``moment``, published at
        ``moment``; the author's score comment after it."""
        async def publish(services: IncidentServices) -> None:
            text = ANSWER if kind is ReplyKind.FINAL else INTERIM
            span = moment - since
            reply = await replies.draft(_at(services, since + span / 3), SYSTEM, incident_id,
                                        text, kind)
            await replies.approve(_at(services, since + span * 2 / 3), SYSTEM, reply.id)
            reply = await IncidentReply.get(id=reply.id)
            reply.comment_ref = f"{reply.parent_ref}_r{reply.id}"
            await record_publication(services, reply)
            if score:
                self.score(incident_id, reply, score, moment + SCORE_AFTER)

        self.at(moment, publish)

    def score(self, incident_id: int, reply: IncidentReply, text: str, moment: datetime
              ) -> None:
        async def comment(services: IncidentServices) -> None:
            first = await SocialPost.filter(incident_id=incident_id).order_by(
                "posted_at", "id").first()
            assert first is not None
            self.post(IncomingPost(
                network=NETWORK, post_ref=f"{reply.comment_ref}_score", page_ref=first.page_ref,
                parent_ref=reply.comment_ref, author_ref=first.author_ref, text=text, url="",
                latitude=None, longitude=None, posted_at=moment - FETCH_DELAY))

        self.at(moment - FETCH_DELAY, comment)


def _at(services: IncidentServices, moment: datetime) -> IncidentServices:
    return replace(services, clock=lambda: moment)


def _moment(start: datetime, due: datetime, timing: str) -> datetime:
    """An on-time stage halfway to its due moment, a late one :data:`LATE_BY` past it."""
    return start + (due - start) / 2 if timing == ON_TIME else due + LATE_BY


async def load_demo_incidents(services: IncidentServices, publics: PublicsServices) -> str:
    """The official pages, the region's settings and monitoring rule, then the
    replayed week; adds nothing when the demo posts are stored already."""
    now = services.clock()
    posts = demo_posts(now)
    if await SocialPost.filter(network=NETWORK,
                               post_ref__in=[p.post_ref for p in posts]).exists():
        return "0 social posts, 0 incidents"
    pages = await load_demo_pages(publics)
    await set_region_policy(SYSTEM, services.resolver, RegionPolicyInput(
        territory_code=REGION, kind=INCIDENT_SLA, plugin="standard",
        settings={"topic_categories": TOPIC_CATEGORIES}))
    await rules.create_rule(SYSTEM, rules.RuleInput(
        name=RULE_NAME, territory_code=REGION, keywords=list(KEYWORDS)), now)
    services.router.table.invalidate()  # the competence rules may be newer than its copy
    replay = Replay(services, now)
    for post in posts:
        replay.post(post)
    await replay.run()
    statuses = Counter(str(status) for status in await Incident.filter(
        id__in=list(replay.plans)).values_list("status", flat=True))
    listed = ", ".join(f"{status} {number}" for status, number in sorted(statuses.items()))
    # The pages are told here: the publics demo, which loads after, finds them there.
    return f"{replay.stored} social posts, {sum(statuses.values())} incidents ({listed}); {pages}"
