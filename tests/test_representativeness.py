"""Post-stratified weights over cells too small to weigh alone: pooled, trimmed at
the cap, or not weighted at all; the R-score counts participation only."""

from __future__ import annotations

import pytest

from vmeste.platform.participation.representativeness import (
    MAX_WEIGHT,
    r_score,
    weighted_share,
    weights,
)


def test_a_cell_of_one_is_pooled_and_its_answer_blends_in() -> None:
    """Unpooled, the lone 60+ woman would weigh (100/300) / (1/23) ≈ 7.7: her answer
    would move the weighted share by far more than anyone's. Pooled with the smallest
    cell large enough (the men, 10), the 11 of them weigh alike."""
    population = {"25-34|male": 100, "25-34|female": 100, "60+|female": 100}
    participants = {"25-34|male": 10, "25-34|female": 12, "60+|female": 1}
    w = weights(population, participants, 5)
    assert w is not None
    assert w["60+|female"] == w["25-34|male"] == pytest.approx((200 / 300) / (11 / 23))
    assert w["25-34|female"] == pytest.approx((100 / 300) / (12 / 23))
    assert sum(w[c] * n for c, n in participants.items()) == pytest.approx(23)


def test_small_cells_together_large_enough_are_one_stratum() -> None:
    population = {"a|male": 100, "a|female": 100, "b|male": 50, "b|female": 150,
                  "c|male": 10}
    participants = {"a|male": 4, "a|female": 2, "b|male": 1, "b|female": 1}
    w = weights(population, participants, 2)
    assert w is not None
    # The pool holds both 60+ cells and the empty one: 210 people, 2 participants.
    assert w["b|male"] == w["b|female"] == w["c|male"] == pytest.approx(
        (210 / 410) / (2 / 8))
    assert (w["a|male"], w["a|female"]) == pytest.approx(((100 / 410) / (4 / 8),
                                                          (100 / 410) / (2 / 8)))


def test_fewer_than_two_cells_large_enough_weight_nothing() -> None:
    population = {"a|male": 100, "a|female": 100, "b|male": 100}
    assert weights(population, {"a|male": 10, "a|female": 4, "b|male": 4}, 5) is None
    assert weights(population, {"a|male": 3, "a|female": 3}, 5) is None
    assert weighted_share(None, {"a|male": 3}, {"a|male": 10}) is None


def test_weights_are_trimmed_at_the_cap_and_still_sum_to_the_participants() -> None:
    """Population 650 : 240 : 110 over participants 10 : 5 : 85 weighs 6.5, 4.8 and
    0.13. The first is held at 5 and the rest scaled by 50/35, which lifts the second
    to 6.86, over the cap in turn: held too, the last takes the 25 left, 25/85 each."""
    population = {"a|male": 650, "a|female": 240, "b|male": 110}
    participants = {"a|male": 10, "a|female": 5, "b|male": 85}
    w = weights(population, participants, 5)
    assert w is not None
    assert (w["a|male"], w["a|female"], w["b|male"]) == pytest.approx(
        (MAX_WEIGHT, MAX_WEIGHT, 25 / 85))
    assert sum(w[c] * n for c, n in participants.items()) == pytest.approx(100)


def test_the_r_score_is_the_lowest_rate_over_the_highest_whatever_the_group_size() -> None:
    population = {"a|male": 100, "a|female": 200, "b|male": 0}
    assert r_score(population, {"a|male": 1, "a|female": 40}) == pytest.approx(0.01 / 0.2)
    assert r_score(population, {}) is None
    assert r_score({}, {"a|male": 3}) is None
