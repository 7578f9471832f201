"""Every compliance rule passes and fails on a crafted PageProfile, and the
``page_compliance`` kind's norms reach the posting rate through region policies."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette

from tests.worlds import MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, World, ok_data
from vmeste.platform.publics.compliance_rules import (
    RULES,
    RULES_BY_CODE,
    Facts,
    Outcome,
    check_all,
    rules_for,
)
from vmeste.platform.publics.connectors import PageProfile
from vmeste.platform.publics.models import ResultSource
from vmeste.platform.publics.norms import Norms, norms_for

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
NAME = "Администрация города Кирова"
GOOD = PageProfile(
    network="vk", page_id="1", name="Администрация города «Кирова»", verified=True,
    description="г. Киров, ул. Воровского, д. 39. Тел. +7 (8332) 64-41-21, "
                "admin@kirov.ru, часы приёма: пн-пт 9:00-18:00",
    site="https://kirov.ru", has_avatar=True, has_cover=True,
    last_post_dates=tuple(NOW - timedelta(days=d) for d in (1, 2, 5, 9)))
DECLARED = {"widgets": True, "responsible_2fa": True, "regional_centre_informed": True,
            "site_link": True}


def facts(profile: PageProfile | None = GOOD, **changes: Any) -> Facts:
    base = Facts(profile=profile, registered_name=NAME, now=NOW,
                 responsible_name="Иванов И. И.", declarations=DECLARED)
    return replace(base, **changes)


def check(code: str, given: Facts, norms: Norms = Norms()) -> Outcome:
    return RULES_BY_CODE[code].check(given, norms)


def test_a_complete_page_passes_every_rule() -> None:
    assert [(rule.code, outcome.passed) for rule, outcome in check_all("vk", facts(), Norms())
            ] == [(rule.code, True) for rule in RULES]


def test_every_rule_has_a_code_a_version_and_a_title() -> None:
    assert len(RULES_BY_CODE) == len(RULES) == 9
    assert all(rule.version >= 1 and rule.title for rule in RULES)
    assert {r.code for r in RULES if r.source is ResultSource.DECLARED} == {
        "widgets", "responsible_2fa", "regional_centre_informed", "site_link"}
    assert "avatar_cover" not in {rule.code for rule in rules_for("telegram")}


def test_verified() -> None:
    assert not check("verified", facts(replace(GOOD, verified=False))).passed


def test_name_matches_after_quotes_and_yo() -> None:
    assert check("name_matches", facts(replace(GOOD, name="АДМИНИСТРАЦИЯ ГОРОДА КИРОВА"))).passed
    assert check("name_matches", facts(registered_name="Администрация города Кирёва")).passed
    outcome = check("name_matches", facts(replace(GOOD, name="Киров сегодня")))
    assert outcome.passed is False and outcome.evidence["score"] < 95


def test_description_contacts_names_what_is_missing() -> None:
    bare = replace(GOOD, description="Официальная страница", site="")
    assert check("description_contacts", facts(bare)) == Outcome(
        False, {"missing": ["address", "phone", "email", "site", "hours"]})
    own_fields = replace(bare, phones=("+78332644121",), emails=("a@kirov.ru",),
                         addresses=("Киров",), site="kirov.ru")
    assert check("description_contacts", facts(own_fields)).evidence == {"missing": ["hours"]}


def test_avatar_cover() -> None:
    outcome = check("avatar_cover", facts(replace(GOOD, has_cover=False)))
    assert outcome == Outcome(False, {"avatar": True, "cover": False})


def test_posting_rate_counts_the_window_against_the_norm() -> None:
    assert check("posting_rate", facts()).evidence == {"posts": 3, "norm": 3, "window_days": 7}
    assert not check("posting_rate", facts(), Norms(posts_per_week=4)).passed
    assert check("posting_rate", facts(), Norms(posts_per_week=2, window_days=14)).evidence == {
        "posts": 4, "norm": 4, "window_days": 14}


def test_network_rules_fail_on_an_unread_page() -> None:
    assert {rule.code for rule, outcome in check_all("vk", facts(None), Norms())
            if outcome.passed is False} == {rule.code for rule in RULES
                                            if rule.source is ResultSource.NETWORK}


def test_declared_rules_await_until_confirmed() -> None:
    for code in DECLARED:
        assert check(code, facts(declarations={})).passed is None
        assert check(code, facts(declarations={code: False})).passed is False
        assert check(code, facts()).passed is True


def test_responsible_2fa_needs_a_named_official() -> None:
    assert check("responsible_2fa", facts(responsible_name="")).passed is False


async def test_kind_page_compliance(world: World, vmeste_app: Starlette, graphql: Any,
                                    federal: str) -> None:
    """A region's policy raises the weekly norm for its municipalities, the kind's
    validator refuses a norm that is not an integer, and elsewhere the default holds."""
    mutation = """mutation($i: RegionPolicyInput!) { setRegionPolicy(input: $i) {
      regionPolicy { settings } userErrors { field code } } }"""
    policy = {"territoryCode": REGION_A, "kind": "page_compliance", "plugin": "standard"}
    body = await graphql(mutation, {"i": {**policy, "settings": {"posts_per_week": "5"}}},
                         token=federal)
    assert [(e["field"], e["code"]) for e in ok_data(body)["setRegionPolicy"]["userErrors"]
            ] == [("settings", "INVALID")]
    body = await graphql(mutation, {"i": {**policy, "settings": {"posts_per_week": 5}}},
                         token=federal)
    assert ok_data(body)["setRegionPolicy"]["userErrors"] == []
    resolver = vmeste_app.state.runtime.resolver
    assert await norms_for(resolver, MUNICIPALITY_A) == Norms(posts_per_week=5)
    assert await norms_for(resolver, MUNICIPALITY_B) == Norms()
