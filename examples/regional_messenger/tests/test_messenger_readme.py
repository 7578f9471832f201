"""The README's mutations do what it says: they switch the plugin on for one region."""

from __future__ import annotations

import json
import re
from pathlib import Path

from messenger_world import KAZAN_CITY, KIROV_CITY

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
CHANNELS = """query($code: String) { notificationChannels(territoryCode: $code) {
  name active } }"""
EFFECTIVE = """query($code: String!) { effectivePolicy(territoryCode: $code, kind: "deadline") {
  plugin settings } }"""


async def test_the_readme_switches_the_plugin_on_for_one_region(kirov, graphql):
    switch_channels, set_deadline = re.findall(r"```graphql\n(.*?)```", README, re.S)
    variables = json.loads(re.search(r"with `(\{.*?\})`", README, re.S).group(1))
    token = kirov["admin"]
    for document, values in ((switch_channels, None), (set_deadline, variables)):
        body = await graphql(document, values, token=token)
        assert "errors" not in body, body
        assert all(not payload["userErrors"] for payload in body["data"].values()), body

    async def active(code: str) -> set[str]:
        body = await graphql(CHANNELS, {"code": code})
        return {c["name"] for c in body["data"]["notificationChannels"] if c["active"]}

    assert await active(KIROV_CITY) == {"inbox", "webhook", "messenger"}
    assert "messenger" not in await active(KAZAN_CITY)
    (deadline,) = (await graphql(EFFECTIVE, {"code": KIROV_CITY}, token=token))["data"][
        "effectivePolicy"]
    assert deadline["plugin"] == "urgent-categories"
    assert deadline["settings"]["urgent_hours"] == {"utilities.outage": 24}
