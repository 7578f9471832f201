"""Learning topics from the operators: confirmed incidents are examples, each training
is a stored version beside the earlier ones, and a suggestion uses the model only while
it is at least as accurate as the keywords, saying which suggested."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.incident_monitor_world import incident_with
from tests.test_cli import vmeste
from tests.worlds import World
from vmeste.platform.incidents.learning import (
    KEYWORDS,
    MODEL,
    TopicModels,
    confirmed_examples,
    retrain,
)
from vmeste.platform.incidents.models import TopicModelVersion
from vmeste.platform.publics.classifier import Example, TopicModel, bundled
from vmeste.platform.publics.topics import topics

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
#: Posts a region's operators keep seeing: stray animals, which the keywords take for
#: the school or the housing (and the kept model for the housing).
STRAYS = ["Стая бездомных собак у школы, дети боятся",
          "Бродячие собаки покусали ребёнка во дворе",
          "Кошки в подвале орут всю ночь, бездомные"]
#: The region's own labelled posts the versions below are measured on.
REGION_TEST = (Example("Бездомные собаки бегают стаей возле садика", "other"),
               Example("В подвале живут бездомные кошки, запах ужасный", "other"))
LATER = "Бездомные кошки в подвале, кто за них отвечает"


async def test_on_the_kept_posts_the_keywords_suggest(world: World) -> None:
    version = await retrain(NOW)
    assert (version.examples, version.confirmed_examples, version.test_examples) == (
        len(bundled("train")), 0, len(bundled("test")))
    assert set(version.topic_accuracy) == set(topics())
    totals = [counts["model"][1] for counts in version.topic_accuracy.values()]
    assert sum(totals) == 90 and all(
        counts["keywords"][1] == counts["model"][1] for counts in version.topic_accuracy.values())
    # Measured: the model 57 of 90 (0.63), the keywords 80 of 90 (0.89).
    assert version.keyword_accuracy == pytest.approx(80 / 90)
    assert 0.5 <= version.accuracy < version.keyword_accuracy
    assert sum(c["model"][0] for c in version.topic_accuracy.values()) / 90 == pytest.approx(
        version.accuracy)
    found = await TopicModels().suggest("Опять огромные ямы на дороге")
    assert (found.source, found.version_id, found.suggestion.topic) == (
        KEYWORDS, None, "road_repair")


async def test_only_confirmed_incidents_teach(world: World) -> None:
    await incident_with(world, "other", STRAYS[:2], NOW)
    await incident_with(world, "education", [STRAYS[2]], NOW, confirmed=False)
    await incident_with(world, "other", ["  "], NOW)
    assert await confirmed_examples() == [Example(STRAYS[0], "other"),
                                          Example(STRAYS[1], "other")]


async def test_a_correction_changes_a_later_suggestion_and_versions_stay(world: World) -> None:
    models = TopicModels()
    assert await models.current() is None
    before = await retrain(NOW, REGION_TEST)
    assert (before.accuracy, before.keyword_accuracy) == (0.5, 0.0)
    suggested = await models.suggest(LATER)
    assert (suggested.source, suggested.version_id, suggested.suggestion.topic) == (
        MODEL, before.id, "housing_utilities")
    cached = await models.current()
    assert cached is not None and cached is await models.current(), "read once"
    # The operators corrected three incidents about stray animals to "other".
    for text in STRAYS:
        await incident_with(world, "other", [text], NOW)
    after = await retrain(NOW + timedelta(days=1), REGION_TEST)
    assert (after.examples, after.confirmed_examples) == (len(bundled("train")) + 3, 3)
    suggested = await models.suggest(LATER)
    assert (suggested.source, suggested.version_id, suggested.suggestion.topic) == (
        MODEL, after.id, "other")
    kept = await TopicModelVersion.all().order_by("id")
    assert [v.id for v in kept] == [before.id, after.id]
    assert TopicModel.from_json(kept[0].model).suggest(LATER).topic == "housing_utilities"
    # A newer version less accurate than the keywords: they suggest again.
    await retrain(NOW + timedelta(days=2))
    assert (await models.suggest(LATER)).source == KEYWORDS
    assert await TopicModelVersion.all().count() == 3


@pytest.mark.usefixtures("migrated_folder")
def test_the_retrain_and_classify_commands(tmp_path: Path) -> None:
    keywords = vmeste(tmp_path, "incidents", "classify", "Ямы на дороге", "--json")
    assert keywords.returncode == 0, keywords.stderr
    assert json.loads(keywords.stdout) | {"confidence": 0} == {
        "topic": "road_repair", "confidence": 0, "source": "keywords", "model_version": None}
    trained = vmeste(tmp_path, "--lang", "en", "incidents", "retrain")
    assert trained.returncode == 0, trained.stderr
    lines = trained.stdout.splitlines()
    assert lines[0] == ("model version 1: 190 training posts, 0 of them from confirmed "
                        "incidents")
    assert "road_repair: model " in lines[1] and ", keywords 8 of 9" in lines[1]
    assert len(lines) == 1 + len(topics()) + 2
    assert lines[-2].startswith("all: model 0.") and lines[-2].endswith("keywords 0.89")
    assert lines[-1] == "suggestions use the keywords, which are more accurate"
    classify = vmeste(tmp_path, "--lang", "en", "incidents", "classify", "Ямы на дороге")
    assert classify.returncode == 0, classify.stderr
    assert classify.stdout.splitlines()[-1] == "suggested by the keywords"
