"""The incident flow end to end through the public API, on the appeals' small world
with region A's incident policy (``tests/incident_sla_world.py``: road repair is routed
as pits, which the competence table gives the city administration in the city).

The city administration (the body) keeps a VK community, ``GROUP``, on the local VK
fake (``tests/social_fakes.py``), reached by the app's publics hub through a transport
whose connection breaks when the fake says so. ``Flow`` holds the app's GraphQL client,
the fake, the runtime's settable clock (``flow.at(minutes=…)``) and the callers'
tokens; its methods are the steps the people take, each one GraphQL call returning the
payload, and ``ingest`` is what ``vmeste incidents ingest`` does with a post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from strawberry import relay

from tests.incident_sla_world import seed_incident_world
from tests.social_fakes import VK_TOKEN, FakeClock, FlakyTransport, VkFake
from tests.worlds import MUNICIPALITY_A, REGION_A, ok_data
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.incidents.ingest import IncomingPost, store_posts
from vmeste.platform.publics.hub import ConnectorHub
from vmeste.platform.publics.models import OfficialPage
from vmeste.platform.publics.pages import PageInput
from vmeste.platform.publics.services import PublicsServices
from vmeste.platform.reference.models import Organization
from vmeste.platform.settings import load_settings
from vmeste.testing import GraphQLClient, TokenFactory

#: Thursday 3 December 2026, 12:00 in Kirov (UTC+3), a working day.
T0 = datetime(2026, 12, 3, 9, tzinfo=UTC)
GROUP = "11"
AUTHOR = "501"
ENV = {"VMESTE_VK_TOKEN": VK_TOKEN}

INCIDENT = """id status topic postCount registeredAt reactionDueAt answerDueAt reactedAt
  reactionLate answerLate firstResponseSeconds answeredAt satisfaction satisfactionSource
  organization { id } officialPage { id } appealId posts { postRef authorRef text }
  replies { id status commentRef } history { action toStatus }"""
ERRORS = "userErrors { field code message }"
INCIDENTS = f"""query($status: IncidentStatus) {{ incidents(status: $status, first: 5) {{
  totalCount edges {{ node {{ {INCIDENT} }} }} }} }}"""
CREATE_RULE = f"""mutation($input: CreateMonitoringRuleInput!) {{
  createMonitoringRule(input: $input) {{ rule {{ id pages {{ id }} }} {ERRORS} }} }}"""
REACT = f"""mutation($id: ID!) {{ reactToIncident(input: {{id: $id}}) {{
  incident {{ {INCIDENT} }} {ERRORS} }} }}"""
DRAFT = f"""mutation($id: ID!, $text: String!) {{
  draftIncidentReply(incidentId: $id, text: $text) {{ reply {{ id status parentRef }}
  {ERRORS} }} }}"""
APPROVE = f"""mutation($id: ID!) {{ approveIncidentReply(id: $id) {{
  reply {{ id status }} {ERRORS} }} }}"""
STATISTICS = """query($scope: IncidentScope) { incidentStatistics(scope: $scope) {
  incidents reacted responded meanFirstResponseSeconds reactionOnTime reactionJudged
  answerOnTime answerJudged rated satisfactionMean satisfiedShare } }"""


def gid(type_name: str, pk: int) -> str:
    return relay.to_base64(type_name, pk)


@dataclass
class Flow:
    app: Starlette
    graphql: GraphQLClient
    vk: VkFake
    body: Organization
    page: OfficialPage
    monitor: str
    operator: str
    approver: str
    now: list[datetime] = field(default_factory=lambda: [T0])

    def at(self, **delta: float) -> datetime:
        """Moves the runtime's clock to ``delta`` after :data:`T0`."""
        self.now[0] = T0 + timedelta(**delta)
        return self.now[0]

    async def call(self, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
        return ok_data(await self.graphql(query, variables, token=token))

    async def mutate(self, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
        """The payload of a mutation (its only field)."""
        return next(iter((await self.call(query, token, **variables)).values()))

    def wall_post(self, text: str, *, author: str = AUTHOR, minutes: int = 0) -> str:
        """A post on the community's wall ``minutes`` after an hour before :data:`T0`;
        its id."""
        at = T0 - timedelta(hours=1) + timedelta(minutes=minutes)
        return str(self.vk.post(GROUP, text, int(at.timestamp()), from_id=int(author))["id"])

    async def ingest(self, post_ref: str, text: str, *, parent_ref: str = "",
                     author: str = AUTHOR, page_ref: str = GROUP) -> None:
        """A post (or comment) stored as ``vmeste incidents ingest`` stores it, at now."""
        await store_posts([IncomingPost(
            network="vk", post_ref=post_ref, page_ref=page_ref, parent_ref=parent_ref,
            author_ref=author, text=text, url=f"https://vk.com/wall-{page_ref}_{post_ref}",
            latitude=None, longitude=None, posted_at=self.now[0])], self.now[0])

    async def create_rule(self) -> dict[str, Any]:
        return await self.mutate(CREATE_RULE, self.monitor, input={
            "name": "Сообщество администрации", "territoryCode": REGION_A,
            "pageIds": [gid("OfficialPage", self.page.id)]})

    async def incidents(self, token: str | None = None, status: str | None = None
                        ) -> list[dict[str, Any]]:
        data = await self.call(INCIDENTS, token or self.monitor, status=status)
        return [edge["node"] for edge in data["incidents"]["edges"]]

    async def react(self, incident_id: str) -> dict[str, Any]:
        return await self.mutate(REACT, self.monitor, id=incident_id)

    async def draft(self, incident_id: str, text: str) -> dict[str, Any]:
        return await self.mutate(DRAFT, self.operator, id=incident_id, text=text)

    async def approve(self, reply_id: str) -> dict[str, Any]:
        return await self.mutate(APPROVE, self.approver, id=reply_id)

    async def statistics(self) -> dict[str, Any]:
        data = await self.call(STATISTICS, self.monitor, scope={"territoryCode": REGION_A})
        return dict(data["incidentStatistics"])


def hub_on(app: Starlette, fake: VkFake) -> None:
    """The app's publics hub (which the incident services use) on ``fake``, its
    connection breaking when the fake drops it, backoffs on the fake's clock."""
    runtime = app.state.runtime
    settings = load_settings({"VMESTE_VK_API_URL": "http://fake.test/method"})
    runtime.service(PublicsServices).hub = ConnectorHub(
        settings, runtime.resolver, transport=FlakyTransport(fake, fake.app()),
        clock=fake.clock, sleep=fake.clock.sleep, env=ENV)


async def seed_flow(app: Starlette, graphql: GraphQLClient, make_token: TokenFactory) -> Flow:
    """Region A's incident policy, the body's community on the fake, the people."""
    runtime = app.state.runtime
    body = await Organization.get(ogrn=await seed_incident_world(runtime.resolver))
    fake = VkFake(clock=FakeClock())
    hub_on(app, fake)
    page = await runtime.service(PublicsServices).register_page(SYSTEM, PageInput(
        organization_id=body.id, territory_code=MUNICIPALITY_A, network="vk",
        page_ref=GROUP, registered_name=body.name))
    flow = Flow(app=app, graphql=graphql, vk=fake, body=body, page=page,
                monitor=await make_token("moderator", territory=REGION_A, sub="monitor-a"),
                operator=await make_token("operator", org=body.ogrn, sub="operator"),
                approver=await make_token("org_admin", org=body.ogrn, sub="approver"))
    runtime.clock = lambda: flow.now[0]
    return flow
