"""The compiled competence table: each precedence step, each reason to pass a rule
over, and tie detection; pure in memory, no database."""

from datetime import date

import pytest

from vmeste.platform.appeals.routing import CompiledRule, RuleIndex, find_ties

COUNTRY, REGION, MUNICIPALITY, SETTLEMENT = 1, 2, 3, 4
GROUP, LEAF = 10, 11
TERRITORIES = {COUNTRY: (COUNTRY,), REGION: (REGION, COUNTRY),
               MUNICIPALITY: (MUNICIPALITY, REGION, COUNTRY),
               SETTLEMENT: (SETTLEMENT, MUNICIPALITY, REGION, COUNTRY)}
CATEGORIES = {GROUP: (GROUP,), LEAF: (LEAF, GROUP)}
TODAY = date(2026, 11, 28)


def rule(pk: int, territory: int, category: int, org: int, priority: int = 0, **kw
         ) -> CompiledRule:
    return CompiledRule(pk, category, territory, org, priority, kw.get("applicant_type"),
                        kw.get("channel"), kw.get("valid_from"), kw.get("valid_to"))


def decide(rules, territory=SETTLEMENT, category=LEAF, channel="portal", applicant="person",
           on=TODAY, **kw):
    index = RuleIndex(rules, TERRITORIES, CATEGORIES)
    return index.decide(category_id=category, territory_id=territory, applicant_type=applicant,
                        channel=channel, on=on, **kw)


def test_most_specific_territory_wins_over_category_and_priority():
    found = decide([rule(1, REGION, LEAF, 100, priority=9), rule(2, MUNICIPALITY, GROUP, 200)])
    assert found.rule.organization_id == 200


def test_at_the_same_territory_the_most_specific_category_wins():
    found = decide([rule(1, MUNICIPALITY, GROUP, 100, priority=9),
                    rule(2, MUNICIPALITY, LEAF, 200)])
    assert found.rule.organization_id == 200


def test_then_the_higher_priority():
    found = decide([rule(1, MUNICIPALITY, LEAF, 100, priority=1),
                    rule(2, MUNICIPALITY, LEAF, 200, priority=5)])
    assert found.rule.organization_id == 200


def test_then_the_rule_with_more_filters():
    found = decide([rule(1, MUNICIPALITY, LEAF, 100),
                    rule(2, MUNICIPALITY, LEAF, 200, channel="portal")])
    assert found.rule.organization_id == 200


@pytest.mark.parametrize(("kwargs", "verdict"), [
    ({"valid_from": date(2027, 1, 1)}, "not_yet_valid"),
    ({"valid_to": date(2026, 1, 1)}, "expired"),
    ({"channel": "widget"}, "channel_mismatch"),
    ({"applicant_type": "legal"}, "applicant_type_mismatch"),
])
def test_rules_that_do_not_apply_are_passed_over_and_explained(kwargs, verdict):
    found = decide([rule(1, MUNICIPALITY, LEAF, 100, **kwargs), rule(2, REGION, GROUP, 200)])
    assert found.rule.organization_id == 200
    assert [(entry["rule_id"], entry["verdict"]) for entry in found.trace()] == [
        (1, verdict), (2, "winner")]


def test_validity_window_bounds_are_inclusive():
    window = {"valid_from": TODAY, "valid_to": TODAY}
    assert decide([rule(1, REGION, LEAF, 100, **window)]).rule is not None


def test_never_to_the_body_complained_about():
    found = decide([rule(1, MUNICIPALITY, LEAF, 100), rule(2, REGION, LEAF, 200)],
                   exclude_organization_id=100)
    assert found.rule.organization_id == 200
    assert found.trace()[0]["verdict"] == "complained_about"


def test_no_rule_means_no_decision():
    found = decide([rule(1, MUNICIPALITY, LEAF, 100)], territory=REGION)
    assert found.rule is None and found.considered == []


def test_outranked_rules_in_the_winning_bucket_are_listed():
    found = decide([rule(1, MUNICIPALITY, LEAF, 100, priority=5),
                    rule(2, MUNICIPALITY, LEAF, 200, priority=1)])
    assert [e["verdict"] for e in found.trace()] == ["winner", "outranked"]


def test_only_organization_asks_whether_that_body_is_competent():
    rules = [rule(1, MUNICIPALITY, LEAF, 100), rule(2, REGION, GROUP, 200)]
    assert decide(rules, only_organization_id=200).rule.id == 2
    assert decide(rules, only_organization_id=300).rule is None


def test_covers_ignores_filters_but_not_validity():
    index = RuleIndex([rule(1, REGION, GROUP, 100, channel="widget"),
                       rule(2, MUNICIPALITY, LEAF, 200, valid_to=date(2020, 1, 1))],
                      TERRITORIES, CATEGORIES)
    assert index.covers(category_id=LEAF, territory_id=SETTLEMENT, on=TODAY)
    assert not index.covers(category_id=LEAF, territory_id=COUNTRY, on=TODAY)


def test_ties_are_rules_no_step_separates():
    a = rule(1, REGION, LEAF, 100)
    b = rule(2, REGION, LEAF, 200)
    assert find_ties([a, b]) == [(a, b)]


@pytest.mark.parametrize("other", [
    rule(2, REGION, LEAF, 200, priority=1),
    rule(2, MUNICIPALITY, LEAF, 200),
    rule(2, REGION, GROUP, 200),
    rule(2, REGION, LEAF, 200, channel="widget"),
    rule(2, REGION, LEAF, 200, valid_from=date(2027, 1, 1)),
])
def test_any_separating_step_means_no_tie(other):
    base = rule(1, REGION, LEAF, 100, valid_to=date(2026, 12, 31))
    assert find_ties([base, other]) == []


def test_overlapping_filters_of_equal_specificity_tie():
    a = rule(1, REGION, LEAF, 100, channel="widget")
    b = rule(2, REGION, LEAF, 200, applicant_type="legal")
    c = rule(3, REGION, LEAF, 300, channel="app")
    assert find_ties([a, b, c]) == [(a, b), (b, c)]
