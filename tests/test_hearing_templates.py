"""Procedure templates: the federal defaults seeded once, validation on each field,
who keeps which templates, versions, and the most specific template along the path."""

from __future__ import annotations

import pytest

from tests.hearing_world import principal
from tests.worlds import COUNTRY, MUNICIPALITY_A, MUNICIPALITY_B, REGION_A, REGION_B, seed_world
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings import templates
from vmeste.platform.hearings.models import DayUnit, HearingKind, ProcedureTemplate
from vmeste.platform.hearings.templates import Duration, StageRule, TemplateInput
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.models import Territory

D, W = DayUnit.CALENDAR_DAYS, DayUnit.WORKING_DAYS


def _rules(*, meeting: bool = False, **changes: tuple[int, int, str]) -> list[StageRule]:
    stages = ["notice", "exposition", *(["meeting"] if meeting else []), "protocol",
              "conclusion", "publication"]
    default = {"notice": (7, 10, D), "exposition": (10, 20, D), "meeting": (1, 2, D),
               "protocol": (1, 5, W), "conclusion": (1, 5, W), "publication": (1, 7, D)}
    return [StageRule(s, *changes.get(s, default[s])) for s in stages]


def _input(**fields) -> TemplateInput:
    return TemplateInput(**{"code": "planning_project_discussion",
                            "kind": HearingKind.PUBLIC_DISCUSSION,
                            "document_type": "planning_project",
                            "title": "Общественные обсуждения ППТ (Кировская область)",
                            "territory_code": REGION_A, "stages": _rules(),
                            "total": Duration(14, 45), **fields})


def _refusal(error: DomainError) -> list[tuple[str | None, str]]:
    return [(e.field, e.code.value) for e in error.errors]


async def test_the_federal_defaults_are_seeded_once_on_the_country(db) -> None:
    await seed_world()
    await templates.ensure_federal()
    await templates.ensure_federal()
    country = await Territory.get(code=COUNTRY)
    rows = await ProcedureTemplate.filter(territory_id=country.id)
    assert len(rows) == len(templates.FEDERAL) >= 9
    assert {row.created_by for row in rows} == {"system"}
    by_code = {row.code: row for row in rows}
    assert by_code["planning_project_discussion"].total == {"min": 14, "max": 30,
                                                            "unit": "calendar_days"}
    assert by_code["master_plan_hearing"].total == {"min": 1, "max": 3, "unit": "months"}
    assert by_code["conditional_use_discussion"].total["max"] == 1
    assert "meeting" not in [s["stage"] for s in by_code["deviation_discussion"].stages]
    assert "meeting" in [s["stage"] for s in by_code["municipal_act_hearing"].stages]


@pytest.mark.parametrize(("fields", "refusal"), [
    ({"stages": [StageRule("vote", 1, 2), *_rules()[1:]]}, [("stages.0.stage", "INVALID")]),
    ({"stages": _rules(meeting=True)}, [("stages.2.stage", "INVALID")]),
    ({"stages": _rules(exposition=(20, 10, D))}, [("stages.1.max", "INVALID")]),
    ({"stages": _rules(notice=(-1, 10, D))}, [("stages.0.min", "INVALID")]),
    ({"stages": _rules()[:-1]}, [("stages", "REQUIRED")]),
    ({"stages": list(reversed(_rules()))}, [("stages", "INVALID")]),
    ({"total": Duration(30, 14)}, [("total.max", "INVALID")]),
    ({"stages": _rules(notice=(1, 2, "fortnights"))}, [("stages.0.unit", "INVALID")]),
    ({"title": " "}, [("title", "REQUIRED")]),
])
async def test_a_bad_template_is_refused_on_its_field(db, fields, refusal) -> None:
    await seed_world()
    with pytest.raises(DomainError) as refused:
        await templates.create_template(SYSTEM, _input(**fields))
    assert _refusal(refused.value) == refusal
    assert not await ProcedureTemplate.filter(territory_path__contains=REGION_A).exists()


async def test_regional_administrators_keep_their_region_and_configurators_the_country(
        db, make_token) -> None:
    await seed_world()
    regional = await principal(make_token, "regional_admin", "ra", territory=REGION_A)
    federal = await principal(make_token, "federal_configurator", "fc", territory=COUNTRY)
    made = await templates.create_template(regional, _input())
    assert (made.version, made.current, made.territory_path.endswith(REGION_A)) == (1, True, True)
    for who, code in ((regional, REGION_B), (regional, COUNTRY)):
        with pytest.raises(DomainError) as refused:
            await templates.create_template(who, _input(territory_code=code, code="x"))
        assert _refusal(refused.value) == [(None, "FORBIDDEN")]
    federal_row = await ProcedureTemplate.get(code="deviation_discussion", current=True)
    with pytest.raises(DomainError):
        await templates.revise_template(regional, federal_row.id, templates.TemplateRevision(
            title="Чужой"))
    revised = await templates.revise_template(federal, federal_row.id,
                                              templates.TemplateRevision(total=Duration(0, 20)))
    assert revised.version == 2 and revised.total["max"] == 20
    with pytest.raises(DomainError) as duplicate:
        await templates.create_template(regional, _input())
    assert _refusal(duplicate.value) == [("code", "DUPLICATE")]


async def test_a_revision_is_a_new_current_version_and_is_audited(db) -> None:
    await seed_world()
    first = await templates.create_template(SYSTEM, _input())
    second = await templates.revise_template(SYSTEM, first.id, templates.TemplateRevision(
        stages=_rules(exposition=(14, 21, D))))
    third = await templates.revise_template(SYSTEM, first.id, templates.TemplateRevision(
        title="Новая редакция"))
    rows = await ProcedureTemplate.filter(code=first.code, territory_id=first.territory_id
                                          ).order_by("version")
    assert [(r.version, r.current) for r in rows] == [(1, False), (2, False), (3, True)]
    assert third.stages == second.stages and third.title == "Новая редакция"
    actions = await AuditEvent.filter(object_type="procedure_template").order_by(
        "id").values_list("action", flat=True)
    assert actions == ["procedure_template.create", "procedure_template.revise",
                       "procedure_template.revise"]


async def test_a_new_hearing_takes_the_most_specific_current_template(db) -> None:
    await seed_world()
    regional = await templates.create_template(SYSTEM, _input())
    municipal_a = (await Territory.get(code=MUNICIPALITY_A)).path
    municipal_b = (await Territory.get(code=MUNICIPALITY_B)).path
    kind = HearingKind.PUBLIC_DISCUSSION
    found = await templates.choose(municipal_a, document_type="planning_project", kind=kind)
    assert found.id == regional.id
    other = await templates.choose(municipal_b, document_type="planning_project", kind=kind)
    assert other.created_by == "system" and other.total["max"] == 30
    revised = await templates.revise_template(SYSTEM, regional.id,
                                              templates.TemplateRevision(title="Ред. 2"))
    assert (await templates.choose(municipal_a, code=regional.code)).id == revised.id
    with pytest.raises(DomainError) as missing:
        await templates.choose(municipal_a, document_type="zoo", kind=kind)
    assert _refusal(missing.value) == [("documentType", "NOT_FOUND")]
