"""Procedure templates: the stages of a procedure and how long each may last, as data.

The law sets the terms per document type and changes them (the land-use rules went
from two to four months down to at most one in 2022), and a region or a municipal
charter sets its own within them, so a term is never code. A template version is
never edited: revising it writes the next version and moves the ``current`` flag, and
a hearing keeps the version it was announced on.

The federal defaults (``federal_templates.json``) are seeded on the country's
territory the first time templates are read (:func:`ensure_federal`), so a fresh
database needs no setup step. Their terms, all from the Town Planning Code (ГрК РФ)
unless said:

- master plan (art. 28 part 8): from the notice to the publication of the conclusion
  not less than one and not more than three months;
- land-use rules (art. 31 part 13): not more than one month;
- planning project (art. 46 part 11): not less than fourteen and not more than thirty
  days (the text of part 11 as in force since 2018; the search tool found no copy of
  it to quote, so it is cited from the Code itself);
- a permit for a conditionally permitted use (art. 39 part 7) and for a deviation from
  the limits (art. 40 part 4, referring to art. 39): not more than one month;
- a municipal hearing on the charter or the budget (131-ФЗ art. 28): the charter sets
  the term; the default here (14 to 60 days) is a placeholder a region replaces.

Each stage's own bounds are the platform's defaults within those totals: the notice at
least seven days before the draft is published (art. 5.1 part 8), the protocol and the
conclusion in working days.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record
from vmeste.platform.errors import DomainError, ErrorCode, FieldError
from vmeste.platform.hearings.access import require_template_keeper
from vmeste.platform.hearings.models import (
    DayUnit,
    HearingKind,
    ProcedureTemplate,
    Stage,
)
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory, TerritoryKind

SYSTEM_AUTHOR = "system"
CODE_MAX, TITLE_MAX, BASIS_MAX = 64, 500, 500
#: No stage and no procedure lasts longer than this many units (a typo guard).
LONGEST = 366

#: The stages of each kind, in the statutory order (art. 5.1 part 4).
STAGES: dict[HearingKind, tuple[Stage, ...]] = {
    HearingKind.PUBLIC_HEARING: tuple(Stage),
    HearingKind.PUBLIC_DISCUSSION: tuple(s for s in Stage if s is not Stage.MEETING),
}


@dataclass(frozen=True)
class Duration:
    """At least ``min`` and at most ``max`` units."""

    min: int
    max: int
    unit: DayUnit = DayUnit.CALENDAR_DAYS

    def as_dict(self) -> dict[str, Any]:
        return {"min": self.min, "max": self.max, "unit": str(self.unit)}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Duration:
        return cls(int(data["min"]), int(data["max"]), DayUnit(data["unit"]))


@dataclass(frozen=True)
class StageRule:
    """A stage and its duration, as given (the stage and unit not yet known good)."""

    stage: str
    min: int
    max: int
    unit: str = DayUnit.CALENDAR_DAYS

    @property
    def duration(self) -> Duration:
        return Duration(self.min, self.max, DayUnit(self.unit))

    def as_dict(self) -> dict[str, Any]:
        return {"stage": str(self.stage), **self.duration.as_dict()}


@dataclass(frozen=True)
class TemplateInput:
    code: str
    kind: HearingKind
    document_type: str
    title: str
    territory_code: str
    stages: Sequence[StageRule]
    total: Duration
    legal_basis: str = ""


@dataclass(frozen=True)
class TemplateRevision:
    """What a new version changes; None keeps the current version's value."""

    title: str | None = None
    legal_basis: str | None = None
    stages: Sequence[StageRule] | None = None
    total: Duration | None = None


def rules_of(template: ProcedureTemplate) -> list[tuple[Stage, Duration]]:
    return [(Stage(row["stage"]), Duration.of(row)) for row in template.stages]


def total_of(template: ProcedureTemplate) -> Duration:
    return Duration.of(template.total)


def _duration_problems(name: str, duration: Any) -> list[FieldError]:
    errors = []
    if duration.unit not in set(DayUnit):
        errors.append(FieldError(f"{name}.unit", _("Unknown unit «{unit}»", unit=duration.unit),
                                 ErrorCode.INVALID))
    for bound in ("min", "max"):
        value = getattr(duration, bound)
        if not 0 <= value <= LONGEST:
            errors.append(FieldError(f"{name}.{bound}", _("From 0 to {limit}", limit=LONGEST),
                                     ErrorCode.INVALID))
    if duration.min > duration.max:
        errors.append(FieldError(f"{name}.max", _("The maximum is less than the minimum"),
                                 ErrorCode.INVALID))
    return errors


def check_rules(kind: HearingKind, stages: Sequence[StageRule], total: Duration
                ) -> list[FieldError]:
    """Every problem of a template's stages and total, each on its field: a template
    names each stage of its kind once, in order, with sane bounds."""
    errors: list[FieldError] = []
    expected = STAGES[kind]
    seen: list[Stage] = []
    for index, rule in enumerate(stages):
        name = f"stages.{index}"
        if rule.stage not in set(Stage):
            errors.append(FieldError(f"{name}.stage", _("Unknown stage «{stage}»",
                                                        stage=rule.stage), ErrorCode.INVALID))
        elif rule.stage not in expected:
            errors.append(FieldError(f"{name}.stage", _("A public discussion has no meeting"),
                                     ErrorCode.INVALID))
        elif rule.stage in seen:
            errors.append(FieldError(f"{name}.stage", _("The stage is named twice"),
                                     ErrorCode.DUPLICATE))
        else:
            seen.append(Stage(rule.stage))
        errors += _duration_problems(name, rule)
    if not errors and tuple(seen) != expected:
        missing = [s for s in expected if s not in seen]
        errors.append(FieldError("stages", _("The stages must be, in this order: {stages}",
                                              stages=", ".join(expected)),
                                 ErrorCode.REQUIRED if missing else ErrorCode.INVALID))
    return errors + _duration_problems("total", total)


def _federal() -> tuple[dict[str, Any], ...]:
    """The federal defaults as shipped (``federal_templates.json``), each checked as a
    template made through the API would be, so a bad edit of the file fails at import."""
    rows = json.loads(resources.files("vmeste.platform.hearings").joinpath(
        "federal_templates.json").read_text(encoding="utf-8"))
    for row in rows:
        row["kind"] = HearingKind(row["kind"])
        errors = check_rules(row["kind"], [StageRule(**s) for s in row["stages"]],
                             Duration.of(row["total"]))
        if errors:
            raise ValueError(f"federal template {row['code']}: {errors}")
    return tuple(rows)


#: The federal defaults (see the module's docstring for their sources).
FEDERAL = _federal()


async def country() -> Territory | None:
    return await Territory.filter(kind=TerritoryKind.COUNTRY, parent_id=None).order_by(
        "id").first()


async def ensure_federal() -> None:
    """Store the federal defaults the country does not have yet (by code); concurrent
    first reads both try, and the unique (code, territory, version) keeps one."""
    root = await country()
    if root is None:
        return
    present = set(await ProcedureTemplate.filter(territory_id=root.id).values_list(
        "code", flat=True))
    missing = [ProcedureTemplate(territory_id=root.id, territory_path=root.path,
                                 created_by=SYSTEM_AUTHOR, **data)
               for data in FEDERAL if data["code"] not in present]
    if missing:
        await ProcedureTemplate.bulk_create(missing, ignore_conflicts=True)


def ancestors(path: str) -> list[str]:
    """The path itself and every path above it."""
    parts = path.split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(parts[:n]) for n in range(1, len(parts) + 1)
            if PATH_SEPARATOR.join(parts[:n])]


async def choose(territory_path: str, *, code: str | None = None,
                 document_type: str | None = None, kind: HearingKind | None = None
                 ) -> ProcedureTemplate:
    """The current template for a new hearing on the territory: the most specific one
    along the path (municipality, then region, then country), by code, or by document
    type and kind."""
    await ensure_federal()
    query = ProcedureTemplate.filter(current=True, territory_path__in=ancestors(territory_path))
    if code:
        query = query.filter(code=code)
    else:
        query = query.filter(document_type=document_type or "", kind=kind)
    found = sorted(await query, key=lambda t: len(t.territory_path))
    if not found:
        raise DomainError.of("templateCode" if code else "documentType",
                             _("No procedure template applies here"), ErrorCode.NOT_FOUND)
    return found[-1]


def _text_problems(data: TemplateInput | TemplateRevision) -> list[FieldError]:
    errors = []
    if data.title is not None and not data.title.strip():
        errors.append(FieldError("title", _("A template needs a title"), ErrorCode.REQUIRED))
    elif data.title is not None and len(data.title) > TITLE_MAX:
        errors.append(FieldError("title", _("At most {limit} characters", limit=TITLE_MAX),
                                 ErrorCode.INVALID))
    if data.legal_basis is not None and len(data.legal_basis) > BASIS_MAX:
        errors.append(FieldError("legalBasis", _("At most {limit} characters",
                                                 limit=BASIS_MAX), ErrorCode.INVALID))
    return errors


async def _audit(template: ProcedureTemplate, actor: str, action: str, conn: Any) -> None:
    await record(actor=actor, action=f"procedure_template.{action}",
                 object_type="procedure_template", object_id=template.id, before=None,
                 after={"code": template.code, "version": template.version,
                        "stages": template.stages, "total": template.total},
                 scope_path=template.territory_path, using=conn)


async def create_template(principal: Principal, data: TemplateInput) -> ProcedureTemplate:
    """The first version of a template on a territory: federal configurators for the
    country, regional administrators for their region and its municipalities."""
    territory = await Territory.get_or_none(code=data.territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    require_template_keeper(principal, territory.path)
    errors = _text_problems(data) + check_rules(data.kind, data.stages, data.total)
    code = data.code.strip()
    if not code or len(code) > CODE_MAX:
        errors.insert(0, FieldError("code", _("From 1 to {limit} characters", limit=CODE_MAX),
                                    ErrorCode.INVALID))
    if not data.document_type.strip():
        errors.append(FieldError("documentType", _("Name the document type"),
                                 ErrorCode.REQUIRED))
    if errors:
        raise DomainError(*errors)
    await ensure_federal()
    if await ProcedureTemplate.exists(code=code, territory_id=territory.id):
        raise DomainError.of("code", _("The territory has this template: revise it"),
                             ErrorCode.DUPLICATE)
    return await _store(principal, territory, dict(
        code=code, version=1, kind=data.kind, document_type=data.document_type.strip(),
        title=data.title.strip(), legal_basis=data.legal_basis.strip(),
        stages=[rule.as_dict() for rule in data.stages], total=data.total.as_dict()),
        "create")


async def revise_template(principal: Principal, template_id: int, data: TemplateRevision
                          ) -> ProcedureTemplate:
    """The next version of the template's code on its territory, made current."""
    base = await ProcedureTemplate.get_or_none(id=template_id)
    if base is None:
        raise DomainError.of("id", _("Procedure template not found"), ErrorCode.NOT_FOUND)
    require_template_keeper(principal, base.territory_path)
    latest = await ProcedureTemplate.filter(code=base.code, territory_id=base.territory_id
                                            ).order_by("-version").first()
    assert latest is not None
    stages = data.stages if data.stages is not None else [
        StageRule(**row) for row in latest.stages]
    total = data.total or total_of(latest)
    errors = _text_problems(data) + check_rules(latest.kind, stages, total)
    if errors:
        raise DomainError(*errors)
    territory = await Territory.get(id=base.territory_id)
    return await _store(principal, territory, dict(
        code=latest.code, version=latest.version + 1, kind=latest.kind,
        document_type=latest.document_type,
        title=(data.title if data.title is not None else latest.title).strip(),
        legal_basis=(data.legal_basis if data.legal_basis is not None
                     else latest.legal_basis).strip(),
        stages=[rule.as_dict() for rule in stages], total=total.as_dict()), "revise")


async def _store(principal: Principal, territory: Territory, values: dict[str, Any],
                 action: str) -> ProcedureTemplate:
    try:
        async with in_transaction() as conn:
            await ProcedureTemplate.filter(code=values["code"], territory_id=territory.id,
                                           current=True).using_db(conn).update(current=False)
            template = await ProcedureTemplate.create(
                territory_id=territory.id, territory_path=territory.path, current=True,
                created_by=principal.actor, using_db=conn, **values)
            await _audit(template, principal.actor, action, conn)
    except IntegrityError:
        raise DomainError.of(None, _("The template was just revised; reload it and try again"),
                             ErrorCode.CONFLICT) from None
    return template

