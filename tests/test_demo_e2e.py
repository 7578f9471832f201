"""The README's first command, as a newcomer runs it: ``vmeste demo`` on an empty
folder (with a local mailbox configured, as the README shows), then a token from its
output pages through the demo organizations."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.notification_world import Mailbox, smtp_server

# One demo server for these tests (it loads the whole data set): they share a worker, and
# the fixtures live for that worker's session, since xdist may hand the worker other
# modules' tests between them and a module fixture would then start a second server.
pytestmark = pytest.mark.xdist_group("demo")

QUERY = """query Page($after: String) { organizations(first: 100, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { ogrn territory { code } } } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mailbox():
    box = Mailbox()
    with smtp_server(box) as port:
        yield box, port


def _ready(process: subprocess.Popen[str], base: str, log: Path) -> bool:
    """Waits for the demo to answer; False when it lost its port to another server."""
    # About 45 s on a quiet 2-core machine (migrations, the demo of every component);
    # beside the rest of the suite on both cores, more than twice that.
    deadline = time.monotonic() + 200
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = log.read_text()
            assert "address already in use" in text, text
            return False
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.terminate()
    pytest.fail("demo did not become ready:\n" + log.read_text())


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, mailbox):
    """One demo server for the worker: starting it loads the whole demo data set."""
    tmp_path = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    env["VMESTE_SMTP_URL"] = f"smtp://127.0.0.1:{mailbox[1]}"
    log = (tmp_path / "demo.log").open("w+")
    # The port is free when chosen but bound only once the demo is loaded; another test's
    # server may take it meanwhile, so a lost port is chosen again (the data stays loaded).
    for _attempt in range(3):
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "vmeste", "demo", "--port",
                                    str(port)], cwd=tmp_path, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        base = f"http://127.0.0.1:{port}"
        if _ready(process, base, tmp_path / "demo.log"):
            break
    else:
        pytest.fail("demo lost its port three times:\n" + (tmp_path / "demo.log").read_text())
    try:
        output = (tmp_path / "demo.log").read_text()
        yield base, dict(re.findall(r"^  (\w+): (ey[\w.-]+)$", output, re.M))
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_demo_serves_a_token_per_role_and_pages_through_organizations(demo):
    base, tokens = demo
    assert set(tokens) == {"citizen", "operator", "executor", "org_admin", "moderator",
                           "regional_admin", "federal_configurator", "auditor"}
    assert httpx.get(f"{base}/readyz").json() == {"status": "ok"}
    headers = {"Authorization": f"Bearer {tokens['citizen']}"}
    seen: list[str] = []
    after = None
    while True:
        body = httpx.post(f"{base}/graphql", headers=headers, timeout=30,
                          json={"query": QUERY, "variables": {"after": after}}).json()
        page = body["data"]["organizations"]
        seen += [edge["node"]["ogrn"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == page["totalCount"] >= 300
    assert len(set(seen)) == len(seen)
    me = httpx.post(f"{base}/graphql", headers={"Authorization":
                                                f"Bearer {tokens['regional_admin']}"},
                    json={"query": "{ me { roles { role territory { kind } } } }"}).json()
    assert me["data"]["me"]["roles"] == [{"role": "REGIONAL_ADMIN",
                                          "territory": {"kind": "REGION"}}]


def test_demo_citizen_submits_an_appeal_that_lands_where_the_rules_say(demo):
    base, tokens = demo
    citizen = {"Authorization": f"Bearer {tokens['citizen']}"}
    submit = """mutation { submitAppeal(input: {categoryCode: "roads.potholes",
      territoryCode: "33701000001", text: "Яма на улице Ленина у дома 3, опасно для машин."}) {
      appeal { status organization { ogrn } routingTrace } userErrors { code } } }"""
    body = httpx.post(f"{base}/graphql", headers=citizen, json={"query": submit},
                      timeout=30).json()["data"]["submitAppeal"]
    assert body["userErrors"] == [] and body["appeal"]["status"] == "ROUTED"
    table = next(step for step in body["appeal"]["routingTrace"]
                 if step["strategy"] == "competence-table")
    winner = next(rule for rule in table["rules"] if rule["verdict"] == "winner")
    assert winner["organization_ogrn"] == body["appeal"]["organization"]["ogrn"]
    staff = {"Authorization": f"Bearer {tokens['moderator']}"}
    statuses = httpx.post(f"{base}/graphql", headers=staff, timeout=30, json={
        "query": "{ appeals(first: 1) { totalCount } }"}).json()["data"]["appeals"]
    assert statuses["totalCount"] >= 100, "the demo region's appeals are visible to its staff"


INBOX = """{ myNotifications(first: 50) { edges { node { event subject body } } } }"""


def test_demo_notifications_reach_the_inbox_and_the_local_mailbox(demo, mailbox):
    """The in-process worker and scheduler fan a new appeal's steps out: the citizen
    reads them in the inbox, and the e-mail copy lands in the configured mailbox."""
    base, tokens = demo
    citizen = {"Authorization": f"Bearer {tokens['citizen']}"}
    submit = """mutation { submitAppeal(input: {categoryCode: "roads.potholes",
      territoryCode: "33701000001", text: "Не горит фонарь и яма у остановки, улица Мира 7."}) {
      appeal { status } userErrors { code } } }"""
    body = httpx.post(f"{base}/graphql", headers=citizen, json={"query": submit},
                      timeout=30).json()["data"]["submitAppeal"]
    assert body["userErrors"] == [] and body["appeal"]["status"] == "ROUTED"
    # Measured: 28 s alone, 45 s in a suite run, over 60 s beside another suite; the
    # in-process worker's path to the inbox has not been profiled yet.
    deadline = time.monotonic() + 180
    events: set[str] = set()
    while time.monotonic() < deadline and not {"submitted", "routed"} <= events:
        time.sleep(0.5)
        inbox = httpx.post(f"{base}/graphql", headers=citizen, json={"query": INBOX},
                           timeout=30).json()["data"]["myNotifications"]["edges"]
        events = {edge["node"]["event"] for edge in inbox}
    assert {"submitted", "routed"} <= events, events
    box, _ = mailbox
    while time.monotonic() < deadline and not any(
            "citizen@demo.vmeste.localhost" in m.rcpt_tos for m in box.messages):
        time.sleep(0.5)
    mine = [m for m in box.messages if "citizen@demo.vmeste.localhost" in m.rcpt_tos]
    assert mine, f"{len(box.messages)} mails, none to the demo citizen"
    assert all(m.mail_from for m in mine)


def test_a_spoofed_forwarded_for_does_not_escape_the_anonymous_budget(demo):
    """No proxy is trusted by default, so every request counts for the real peer."""
    base, _ = demo
    with httpx.Client(base_url=base, timeout=10) as client:
        statuses = [client.post("/graphql", json={"query": "{ __typename }"},
                                headers={"X-Forwarded-For": f"203.0.113.{n % 250}"}).status_code
                    for n in range(200)]
    # Trusted, the 200 spoofed addresses would each have a budget of 120 and none would
    # be refused. The sliding-window counter weighs the previous minute by the share of
    # it still in the window, so a burst straddling a minute boundary may pass a few more
    # than 120 (127 seen on a slow run): the bound is the budget plus that slack, and the
    # 200 requests leave most of the excess refused whatever the boundary does.
    assert statuses[-1] == 429 and statuses.count(429) >= 50
    assert statuses.count(200) <= 120 + 15


def test_demo_body_has_both_widgets(demo):
    base, tokens = demo
    query = "{ widgets(first: 5) { edges { node { kind publicKey allowedOrigins } } } }"
    body = httpx.post(f"{base}/graphql", json={"query": query},
                      headers={"Authorization": f"Bearer {tokens['org_admin']}"}).json()
    nodes = {edge["node"]["kind"]: edge["node"] for edge in body["data"]["widgets"]["edges"]}
    assert set(nodes) == {"APPEAL", "OPINION"}
    page = httpx.get(f"{base}/widgets/{nodes['OPINION']['publicKey']}/frame",
                     params={"origin": "http://localhost:8080"})
    assert page.status_code == 200 and "Выскажите мнение" in page.text
    assert page.headers["content-security-policy"].endswith(
        "frame-ancestors http://localhost:8080 http://127.0.0.1:8080")
