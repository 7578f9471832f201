"""What the plugin's tests share: the world's codes, the people's phone numbers, the
GraphQL documents, and what the stand-in bot API records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vmeste.platform.identity.models import User
from vmeste.platform.reference.validators import with_ogrn_check_digit

KIROV_REGION, KIROV_CITY = "33000000", "33701000"
KAZAN_REGION, KAZAN_CITY = "92000000", "92701000"
UTILITIES = with_ogrn_check_digit("102430000101")
TOKEN = "bot-token-7f3a"
SENDER = "Правительство Кировской области"
CITIZEN_PHONE = "+79991234567"
OPERATOR_PHONE = "+79997654321"
COMPETENCE_RULE = """mutation($input: CompetenceRuleInput!) { upsertCompetenceRule(input: $input) {
  userErrors { field code message } } }"""
PUBLISH_RULES = "mutation { publishCompetenceRules { published } }"
SET_POLICY = """mutation($input: RegionPolicyInput!) { setRegionPolicy(input: $input) {
  regionPolicy { plugin settings } userErrors { field code message } } }"""

@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

@dataclass
class Receiver:
    """What the bot API was sent; ``answers`` are the statuses of the next replies
    (200 once they run out)."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

async def give_phones() -> None:
    """The citizen's and the operator's phone numbers. A dev token carries no phone,
    and every sign-in refreshes the profile from the token, so this runs after the
    last sign-in (``submit_appeal`` signs the citizen in) and before the fan-out."""
    await User.filter(subject="utilities-operator").update(phone=OPERATOR_PHONE)
    await User.filter(subject="citizen").update(phone=CITIZEN_PHONE)
