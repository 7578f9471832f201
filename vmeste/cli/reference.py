"""Reference data and competence rules: import, rules, route."""

from __future__ import annotations

import argparse
import importlib
import io
import json
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from vmeste.cli.common import (
    STDOUT,
    existing_file,
    iso_date,
    output,
    progress,
    run_with_db,
    wrote,
)
from vmeste.platform.appeals.models import ApplicantType, Channel
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.reference.boundaries import import_boundaries
from vmeste.platform.reference.importers import Kind, Progress, import_csv
from vmeste.platform.settings import Settings

CLI_ACTOR = "system:cli"


@dataclass(frozen=True)
class ImportKind:
    """One kind of file ``vmeste import KIND FILE`` loads: ``load`` runs with the database
    open, reports progress as ``(done, total)`` and returns the summary line."""

    help: str
    load: Callable[[Path, Progress, argparse.Namespace], Awaitable[str]]


def _reference_csv(kind: Kind) -> ImportKind:
    async def load(path: Path, progress: Progress, _: argparse.Namespace) -> str:
        report = await import_csv(kind, path, actor=CLI_ACTOR, progress=progress)
        return (f"created {report.created}, updated {report.updated}, "
                f"unchanged {report.unchanged}")

    return ImportKind(f"{kind} (CSV)", load)


async def _boundaries(path: Path, progress: Progress, args: argparse.Namespace) -> str:
    report = await import_boundaries(path, actor=CLI_ACTOR, code_property=args.code_property,
                                     progress=progress)
    return f"features {report.total}, updated {report.updated}, unchanged {report.unchanged}"


#: The kinds of reference data ``vmeste import`` loads. Another area adds its own by
#: exporting an ``IMPORT_KINDS`` dict of the same shape from its ``vmeste/cli`` module
#: (:func:`import_kinds` collects them).
IMPORT_KINDS: dict[str, ImportKind] = {
    **{kind: _reference_csv(kind) for kind in get_args(Kind)},
    "boundaries": ImportKind("territory boundaries (a GeoJSON FeatureCollection keyed by "
                             "OKTMO)", _boundaries),
}


def import_kinds() -> dict[str, ImportKind]:
    """Every kind of ``vmeste import``: the ``IMPORT_KINDS`` of every ``vmeste.cli``
    module, in module order; a kind named twice is an error, not a replacement."""
    import vmeste.cli

    found: dict[str, ImportKind] = {}
    for info in sorted(pkgutil.iter_modules(vmeste.cli.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"vmeste.cli.{info.name}")
        for name, kind in getattr(module, "IMPORT_KINDS", {}).items():
            if name in found:
                raise RuntimeError(f"the import kind {name!r} is declared twice")
            found[name] = kind
    return found


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    path = existing_file(args.file)
    kind = import_kinds()[args.kind]
    with progress(f"import {args.kind}") as update:
        summary = run_with_db(settings, lambda: kind.load(path, update, args))
    print(f"{path}: {summary}")


def cmd_rules(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.appeals.rules_import import export_rules, import_rules
    from vmeste.platform.identity.principal import SYSTEM

    if args.action == "export":
        buffer = io.StringIO()
        count = run_with_db(settings, lambda: export_rules(buffer))
        with output(args.file) as file:
            file.write(buffer.getvalue())
        wrote(args.file, f"exported {count} published rules")
        return
    path = existing_file(args.file)
    report = run_with_db(settings, lambda: import_rules(path, principal=SYSTEM,
                                                         publish=args.publish))
    print(f"{path}: drafts created {report.created}, updated {report.updated}, "
          f"unchanged {report.unchanged}")
    if report.published is not None:
        print(f"published {len(report.published.published)} rule(s), retired "
              f"{len(report.published.retired)}, rules version {report.published.version}")


def cmd_route(settings: Settings, args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from vmeste.platform.appeals.router import request_for
    from vmeste.platform.reference.models import Organization, Territory
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)
    on = args.at or datetime.now(UTC).date()

    async def action() -> dict[str, Any]:
        request = await request_for(
            category_code=args.category, territory_code=args.territory,
            applicant_type=args.applicant_type, channel=args.channel, on=on)
        decision = await runtime.service(AppealServices).router.route(request)
        organization = (await Organization.get(id=decision.organization_id)
                        if decision.organization_id else None)
        territory = await Territory.get(id=decision.territory_id)
        return {
            "organization_ogrn": organization.ogrn if organization else None,
            "organization_name": organization.name if organization else None,
            "fallback": decision.fallback, "strategy": decision.strategy,
            "rule_id": decision.rule_id, "territory_code": territory.code,
            "trace": decision.trace,
        }

    result = run_with_db(settings, action)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if result["fallback"]:
        print("→ moderation queue of the region (no rule matched)")
    else:
        print(f"→ {result['organization_name']} (OGRN {result['organization_ogrn']}), "
              f"rule {result['rule_id']}")
    for step in result["trace"]:
        print(f"  [{step['strategy']}] {step.get('outcome', '')}")
        for rule in step.get("rules", []):
            print(f"      rule {rule['rule_id']} {rule['territory_code']}/"
                  f"{rule['category_code']} p{rule['priority']} → "
                  f"{rule['organization_ogrn']}: {rule['why']}")


def register(sub: Any) -> None:
    kinds = import_kinds()
    imp = sub.add_parser("import", help="import data: territories, organizations and "
                         "categories (CSV), territory boundaries (GeoJSON), and what other "
                         "areas add")
    imp.add_argument("kind", choices=sorted(kinds), help="what the file holds: " +
                     "; ".join(f"{name}: {kind.help}" for name, kind in kinds.items()))
    imp.add_argument("file", help="the file to import")
    imp.add_argument("--code-property", help="boundaries: the feature property holding the "
                     "territory code (default: the first of oktmo, OKTMO, code)")
    imp.set_defaults(func=cmd_import)

    rules = sub.add_parser("rules", help="import or export competence rules (CSV)")
    rules.add_argument("action", choices=["import", "export"],
                       help="import: load drafts from FILE; export: write the published rules")
    rules.add_argument("file", help=f"the CSV file ({STDOUT} for standard output on export)")
    rules.add_argument("--publish", action="store_true",
                       help="publish the imported drafts at once (all or nothing)")
    rules.set_defaults(func=cmd_rules)

    route = sub.add_parser("route", help="explain where an appeal would be routed")
    route.add_argument("--category", required=True, help="category code, e.g. roads.potholes")
    route.add_argument("--territory", required=True, help="territory code (OKTMO)")
    route.add_argument("--applicant-type", default=ApplicantType.PERSON.value,
                       choices=[t.value for t in ApplicantType], help="who files the appeal")
    route.add_argument("--channel", default=Channel.PORTAL.value,
                       choices=[c.value for c in Channel], help="where it comes from")
    route.add_argument("--at", type=iso_date,
                       help="date (YYYY-MM-DD) the rules are evaluated on (default: today)")
    route.add_argument("--json", action="store_true", help="print the decision as JSON")
    route.set_defaults(func=cmd_route)
