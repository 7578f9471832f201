"""Reference data and competence rules: import, rules, route."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

from vmeste.cli.common import EXIT_USAGE, ProgressBar, domain_message, fail, run_with_db
from vmeste.platform.appeals.models import ApplicantType, Channel
from vmeste.platform.settings import Settings


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.csvfiles import CSVImportFailed, format_errors
    from vmeste.platform.reference.importers import import_csv

    path = Path(args.file)
    if not path.is_file():
        fail(f"{path}: no such file", EXIT_USAGE)
    bar = ProgressBar(f"import {args.kind}")

    async def action() -> Any:
        return await import_csv(args.kind, path, actor="system:cli", progress=bar.update)

    try:
        report = run_with_db(settings, action)
    except CSVImportFailed as failure:
        bar.finish()
        print(format_errors(failure.errors), file=sys.stderr)
        fail(f"{path}: {len(failure.errors)} error(s); nothing was written")
    bar.finish()
    print(f"{path}: created {report.created}, updated {report.updated}, "
          f"unchanged {report.unchanged}")


def cmd_rules(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.appeals.rules import RulesConflict
    from vmeste.platform.appeals.rules_import import export_rules, import_rules
    from vmeste.platform.csvfiles import CSVImportFailed, format_errors
    from vmeste.platform.identity.principal import SYSTEM

    path = Path(args.file)
    if args.action == "export":
        buffer = io.StringIO()
        count = run_with_db(settings, lambda: export_rules(buffer))
        path.write_text(buffer.getvalue(), encoding="utf-8")
        print(f"{path}: exported {count} published rules")
        return
    if not path.is_file():
        fail(f"{path}: no such file", EXIT_USAGE)

    async def action() -> Any:
        return await import_rules(path, principal=SYSTEM, publish=args.publish)

    try:
        report = run_with_db(settings, action)
    except CSVImportFailed as failure:
        print(format_errors(failure.errors), file=sys.stderr)
        fail(f"{path}: {len(failure.errors)} error(s); nothing was written")
    except RulesConflict as conflict:
        for error in conflict.errors:
            print(f"CONFLICT: {error.message}", file=sys.stderr)
        fail(f"{path}: {len(conflict.ties)} tie(s) between rules; nothing was changed")
    print(f"{path}: drafts created {report.created}, updated {report.updated}, "
          f"unchanged {report.unchanged}")
    if report.published is not None:
        print(f"published {len(report.published.published)} rule(s), retired "
              f"{len(report.published.retired)}, rules version {report.published.version}")


def cmd_route(settings: Settings, args: argparse.Namespace) -> None:
    from datetime import UTC, date, datetime

    from vmeste.platform.appeals.router import request_for
    from vmeste.platform.errors import DomainError
    from vmeste.platform.reference.models import Organization, Territory
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)
    try:
        on = date.fromisoformat(args.at) if args.at else datetime.now(UTC).date()
    except ValueError:
        fail(f"--at: {args.at!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)

    async def action() -> dict[str, Any]:
        request = await request_for(
            category_code=args.category, territory_code=args.territory,
            applicant_type=args.applicant_type, channel=args.channel, on=on)
        decision = await runtime.router.route(request)
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

    try:
        result = run_with_db(settings, action)
    except DomainError as error:
        fail(domain_message(error))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if result["fallback"]:
        print("→ moderation queue of the region (no rule matched)")
    else:
        print(f"→ {result['organization_name']} (ОГРН {result['organization_ogrn']}), "
              f"rule {result['rule_id']}")
    for step in result["trace"]:
        print(f"  [{step['strategy']}] {step.get('outcome', '')}")
        for rule in step.get("rules", []):
            print(f"      rule {rule['rule_id']} {rule['territory_code']}/"
                  f"{rule['category_code']} p{rule['priority']} → "
                  f"{rule['organization_ogrn']}: {rule['why']}")


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="import reference data from CSV")
    imp.add_argument("kind", choices=["territories", "organizations", "categories"])
    imp.add_argument("file")
    imp.set_defaults(func=cmd_import)

    rules = sub.add_parser("rules", help="import or export competence rules (CSV)")
    rules.add_argument("action", choices=["import", "export"])
    rules.add_argument("file")
    rules.add_argument("--publish", action="store_true",
                       help="publish the imported drafts at once (all or nothing)")
    rules.set_defaults(func=cmd_rules)

    route = sub.add_parser("route", help="explain where an appeal would be routed")
    route.add_argument("--category", required=True)
    route.add_argument("--territory", required=True)
    route.add_argument("--applicant-type", default=ApplicantType.PERSON.value,
                       choices=[t.value for t in ApplicantType])
    route.add_argument("--channel", default=Channel.PORTAL.value,
                       choices=[c.value for c in Channel])
    route.add_argument("--at", help="date (YYYY-MM-DD) the rules are evaluated on")
    route.add_argument("--json", action="store_true")
    route.set_defaults(func=cmd_route)
