"""The built-in moderation strategy: its checks without a database, then the flood
check against the applicant's stored appeals."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from tests.appeal_world import AppealWorld, seed_appeal_world
from tests.worlds import MUNICIPALITY_A, REGION_A, count_queries
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.appeals.moderation import MODERATION_KIND
from vmeste.plugins import moderation
from vmeste.plugins.moderation import (
    MAX_SIMILAR_COUNT,
    normalize,
    obscene_words,
    similarity,
)

BASIC = next(spec for spec in moderation.vmeste_strategies() if spec.name == "basic")


def basic_problems(settings):
    """What setRegionPolicy checks: the settings merged over the defaults, by the
    moderation kind and by the strategy."""
    return MODERATION_KIND.problems(BASIC, MODERATION_KIND.settings(BASIC, settings))


@pytest.mark.parametrize("text", [
    "Нужно употреблять лекарства по расписанию",
    "С корабля на бал, себе на хлеба",
    "Ребята не могут убедить хулигана, худой и хуже того",
    "Оскорблять граждан нельзя",
])
def test_ordinary_words_that_contain_rude_roots_are_not_flagged(text):
    assert obscene_words(text) == []


@pytest.mark.parametrize("text", ["Какая-то хуйня", "бля, опять", "ёбаный асфальт",
                                  "пиздец дорогам", "xуйня латиницей"])
def test_obscene_words_are_flagged_even_with_latin_lookalikes(text):
    assert obscene_words(text)


def test_normalize_folds_case_punctuation_spacing_and_yo():
    assert normalize("  Ёлка,   ЁЖ!!! ") == normalize("елка еж")


def test_settings_are_validated():
    assert basic_problems({"min_length": 20, "obscenity": "reject"}) == []
    assert len(basic_problems({"min_length": 0, "obscenity": "ban", "x": 1})) == 3
    assert basic_problems({"order": "first"}) == ["order — целое число от -10000 до 10000"]


def test_similarity_ignores_word_order_and_small_edits_but_not_containment():
    first = normalize("Яма на дороге у дома 5, машины бьют колёса. Обращение 1")
    assert similarity(first, normalize("Обращение 2: яма на дороге у дома 5, машины бьют "
                                       "колёса")) >= 90
    assert similarity(normalize("Яма на дороге"), first) < 90
    assert similarity(first, normalize("Не вывозят мусор со двора уже неделю")) < 50


def test_flood_settings_are_validated():
    assert basic_problems({"similar_percent": 85, "similar_window_minutes": 10,
                           "similar_count": 0}) == []
    problems = basic_problems({"similar_percent": 101, "similar_window_minutes": 0,
                               "similar_count": MAX_SIMILAR_COUNT + 1})
    assert [p.split(" ")[0] for p in problems] == ["similar_percent", "similar_window_minutes",
                                                   "similar_count"]


# --- against the database: one applicant's flood of near-identical texts --------------

FLOOD = "Большая яма на дороге у дома {n} по улице Ленина, машины бьют колёса."


@pytest_asyncio.fixture
async def appeal_world(world) -> AppealWorld:
    return await seed_appeal_world()


async def _last_verdict(appeal_id: int) -> AppealEvent:
    return await AppealEvent.filter(appeal_id=appeal_id, action="moderate").get()


async def test_the_fourth_near_identical_text_within_the_window_is_rejected_with_a_reason(
        appeal_world, submit_appeal):
    first = [await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="flooder", text=FLOOD.format(n=n)) for n in range(1, 4)]
    assert [a.status for a in first] == [AppealStatus.ROUTED] * 3

    fourth = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="flooder", text=FLOOD.format(n=4))

    assert fourth.status == AppealStatus.REJECTED
    verdict = await _last_verdict(fourth.id)
    assert verdict.payload == {"verdict": "reject", "code": "similar_flood"}
    assert verdict.actor == "system:moderation/basic"
    assert "Слишком много похожих обращений" in verdict.reason
    assert f"№ {first[-1].id}" in verdict.reason
    # Rejected texts still count: the flood stays stopped.
    fifth = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="flooder", text=FLOOD.format(n=5))
    assert fifth.status == AppealStatus.REJECTED


async def test_other_applicants_and_different_texts_are_not_a_flood(appeal_world,
                                                                    submit_appeal):
    for n in range(4):
        appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                     citizen=f"neighbour-{n}", text=FLOOD.format(n=n))
        assert appeal.status == AppealStatus.ROUTED
    texts = ["Во дворе дома 3 не вывозят мусор вторую неделю, контейнеры переполнены.",
             "На остановке у рынка разбит павильон, стекло лежит на тротуаре.",
             "Не работает уличное освещение на всей улице Мира после восьми вечера.",
             "Ливнёвка у школы забита листьями, после дождя стоит огромная лужа."]
    for text in texts:
        appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                     citizen="neighbour-0", text=text)
        assert appeal.status == AppealStatus.ROUTED, text


async def test_texts_older_than_the_window_do_not_count(appeal_world, submit_appeal):
    for n in range(3):
        await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                            citizen="patient", text=FLOOD.format(n=n))
    await Appeal.all().update(created_at=datetime.now(UTC) - timedelta(minutes=61))

    later = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="patient", text=FLOOD.format(n=9))

    assert later.status == AppealStatus.ROUTED


async def test_a_region_sets_its_own_threshold_or_switches_the_check_off(
        appeal_world, submit_appeal, region_policy):
    await region_policy(REGION_A, "moderation", "basic", {"similar_count": 1,
                                                          "similar_percent": 80})
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="strict",
                        text=FLOOD.format(n=1))
    second = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="strict", text=FLOOD.format(n=2))
    assert second.status == AppealStatus.REJECTED
    assert (await _last_verdict(second.id)).payload["code"] == "similar_flood"

    await region_policy(REGION_A, "moderation", "basic", {"similar_count": 0})
    for n in range(3, 8):
        appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                     citizen="relaxed", text=FLOOD.format(n=n))
        assert appeal.status == AppealStatus.ROUTED


async def test_the_check_reads_one_bounded_page_of_the_applicants_appeals(
        appeal_world, submit_appeal):
    await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A, citizen="counted",
                        text=FLOOD.format(n=1))
    with count_queries() as log:
        await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                            citizen="counted", text=FLOOD.format(n=2))
    reads = [q for q in log.statements if '"text"' in q and "FROM \"appeal\"" in q
             and "SELECT" in q]
    assert len(reads) == 1, reads
    assert "LIMIT" in reads[0], reads[0]


async def test_long_texts_are_compared_off_the_event_loop_with_the_same_verdicts(
        appeal_world, submit_appeal, monkeypatch):
    """Twenty earlier texts of 10,000 characters take tens of milliseconds to normalise
    and compare: a worker thread does it, and a flood of long texts is still stopped."""
    threads: list[int] = []
    original = moderation.similarity

    def recorded(first: str, second: str, cutoff: float = 0) -> float:
        threads.append(threading.get_ident())
        return original(first, second, cutoff)

    monkeypatch.setattr(moderation, "similarity", recorded)
    short = [await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen="brief", text=FLOOD.format(n=n)) for n in range(2)]
    assert short[-1].status == AppealStatus.ROUTED
    assert set(threads) == {threading.get_ident()}  # a normal text: no thread hop
    threads.clear()
    made = [await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                citizen="verbose", text=FLOOD.format(n=n) * 130)
            for n in range(4)]
    assert [a.status for a in made] == [AppealStatus.ROUTED] * 3 + [AppealStatus.REJECTED]
    assert (await _last_verdict(made[-1].id)).payload["code"] == "similar_flood"
    assert threads and threading.get_ident() not in threads
