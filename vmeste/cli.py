"""The ``vmeste`` command: run, migrate, import, and inspect the platform."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from vmeste.platform.settings import Settings, SettingsError, load_settings

EXIT_USAGE = 2
DEMO_QUERIES = (
    "query { me { subject roles { role territory { name } organization { name } } } }",
    "query Orgs($after: String) { organizations(first: 20, after: $after, "
    "filter: {kind: MUNICIPAL}) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { node { ogrn name territory { name } } } } }",
)


def _fail(message: str, code: int = 1) -> None:
    print(f"vmeste: {message}", file=sys.stderr)
    raise SystemExit(code)


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def _with_db(settings: Settings, action: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    from vmeste.platform.db import connect

    async with connect(settings):
        return await action()


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    from vmeste.platform.db import redact_url

    print(f"Migrating {redact_url(settings.database_url)}")
    _migrate(settings, progress=_print_progress)


def _migrate(settings: Settings, progress: Callable[[str, str, str], object] | None = None
             ) -> None:
    """The schema, then the production calendars this release ships."""
    from vmeste.platform.db import migrate
    from vmeste.platform.deadlines.services import upgrade_packaged_calendars
    from vmeste.platform.runtime import build_runtime

    _run(migrate(settings, progress=progress))
    deadlines = build_runtime(settings).appeals.deadlines
    for upgrade in _run(_with_db(settings, lambda: upgrade_packaged_calendars(deadlines))):
        if upgrade.affected is None:
            print(f"  calendar {upgrade.name} {upgrade.to_version} not loaded: "
                  f"{upgrade.refused}")
        else:
            print(f"  calendar {upgrade.name}: {upgrade.from_version} -> {upgrade.to_version}, "
                  f"{upgrade.affected} open appeal(s) queued for recomputation")


def _print_progress(event: str, app: str, name: str) -> None:
    if event == "apply_done":
        print(f"  applied {app}.{name}")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    if settings.is_sqlite:
        # The embedded default has no separate deploy step; keep its schema current.
        _migrate(settings)
        if args.workers > 1:
            _fail("SQLite supports one process; use PostgreSQL for --workers > 1", EXIT_USAGE)
    if args.workers > 1 and settings.embedded_workers:
        # Each process would run its own in-memory broker and, on start, take back the
        # rows the others still hold: jobs would run twice.
        _fail("several API processes need a real broker (VMESTE_BROKER_URL=amqp://… or "
              "redis://…) with `vmeste worker` and `vmeste scheduler` beside them", EXIT_USAGE)
    uvicorn.run("vmeste.platform.app:app_from_environment", factory=True, host=args.host,
                port=args.port, workers=args.workers, log_level="info")


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from vmeste.platform.app import create_app

    _migrate(settings)
    tokens = _run(_with_db(settings, lambda: _prepare_demo(settings)))
    base = f"http://{args.host}:{args.port}"
    print(f"\nVmeste demo is starting at {base}/graphql (GraphiQL in the browser)")
    print(f"Health: {base}/healthz  Readiness: {base}/readyz\n")
    print("Tokens (send as 'Authorization: Bearer <token>'):")
    for role, token in tokens.items():
        print(f"  {role}: {token}")
    print("\nExample queries:")
    for query in DEMO_QUERIES:
        print(f"  {query}")
    print("\nFor example:")
    body = json.dumps({"query": DEMO_QUERIES[1]}, ensure_ascii=False)
    print(f"  curl -s {base}/graphql -H 'Content-Type: application/json' "
          f"-H 'Authorization: Bearer {tokens['federal_configurator']}' -d '{body}'\n")
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


async def _prepare_demo(settings: Settings) -> dict[str, str]:
    from vmeste.platform.appeals.demo import DEMO_MAIL_DOMAIN, load_demo_appeals
    from vmeste.platform.identity.dev_tokens import issue_dev_token
    from vmeste.platform.identity.models import Role
    from vmeste.platform.identity.principal import ORGANIZATION_ROLES
    from vmeste.platform.reference.demo import load_demo_data
    from vmeste.platform.reference.models import Organization, Territory
    from vmeste.platform.runtime import build_runtime

    if not await Territory.exists():
        reference = await load_demo_data()
        appeals = await load_demo_appeals(build_runtime(settings).appeals)
        print(f"Loaded demo data: {reference.territories.created} territories, "
              f"{reference.organizations.created} organizations, "
              f"{reference.categories.created} categories, {appeals.rules} competence rules, "
              f"{appeals.appeals} appeals ({_counts(appeals.by_status)})")
    country = await Territory.filter(parent_id__isnull=True).order_by("id").first()
    region = await Territory.filter(kind="region").order_by("id").first()
    body = await Organization.filter(kind="regional", territory_id=region.id).order_by(
        "id").first() if region else None
    if country is None or region is None or body is None:
        _fail("the database has reference data but no region with a regional body; "
              "import one or start from an empty database")
    tokens = {}
    for role in Role:
        if role == Role.FEDERAL_CONFIGURATOR:
            scope: dict[str, str] = {"territory_code": country.code}
        elif role in ORGANIZATION_ROLES:
            scope = {"organization_ogrn": body.ogrn}
        elif role == Role.CITIZEN:
            scope = {}
        else:
            scope = {"territory_code": region.code}
        tokens[role.value] = await issue_dev_token(
            settings, role, email=f"{role.value}@{DEMO_MAIL_DOMAIN}", **scope)
    return tokens


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counter.items()))


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.csvfiles import CSVImportFailed, format_errors
    from vmeste.platform.reference.importers import import_csv

    path = Path(args.file)
    if not path.is_file():
        _fail(f"{path}: no such file", EXIT_USAGE)
    if args.kind == "boundaries":
        return _import_boundaries(settings, path, args.code_property)
    bar = ProgressBar(f"import {args.kind}")

    async def action() -> Any:
        return await import_csv(args.kind, path, actor="system:cli", progress=bar.update)

    try:
        report = _run(_with_db(settings, action))
    except CSVImportFailed as failure:
        bar.finish()
        print(format_errors(failure.errors), file=sys.stderr)
        _fail(f"{path}: {len(failure.errors)} error(s); nothing was written")
    bar.finish()
    print(f"{path}: created {report.created}, updated {report.updated}, "
          f"unchanged {report.unchanged}")


def _import_boundaries(settings: Settings, path: Path, code_property: str | None) -> None:
    from vmeste.platform.csvfiles import format_errors
    from vmeste.platform.reference.boundaries import BoundaryImportFailed, import_boundaries

    bar = ProgressBar("import boundaries")

    async def action() -> Any:
        return await import_boundaries(path, actor="system:cli", code_property=code_property,
                                       progress=bar.update)

    try:
        report = _run(_with_db(settings, action))
    except BoundaryImportFailed as failure:
        bar.finish()
        print(format_errors(failure.errors, line="объект", column="поле"), file=sys.stderr)
        _fail(f"{path}: {len(failure.errors)} error(s); nothing was written")
    bar.finish()
    print(f"{path}: features {report.total}, updated {report.updated}, "
          f"unchanged {report.unchanged}")


class ProgressBar:
    """A terminal progress bar that stays silent when output is not a terminal."""

    WIDTH = 30

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.last = -1

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        percent = done * 100 // total
        if percent == self.last:
            return
        self.last = percent
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        print(f"\r{self.label} [{bar}] {percent:3d}% {done}/{total}", end="", file=sys.stderr)

    def finish(self) -> None:
        if self.enabled and self.last >= 0:
            print(file=sys.stderr)


def cmd_rules(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.appeals.rules import RulesConflict
    from vmeste.platform.appeals.rules_import import export_rules, import_rules
    from vmeste.platform.csvfiles import CSVImportFailed, format_errors
    from vmeste.platform.identity.principal import SYSTEM

    path = Path(args.file)
    if args.action == "export":
        buffer = io.StringIO()
        count = _run(_with_db(settings, lambda: export_rules(buffer)))
        path.write_text(buffer.getvalue(), encoding="utf-8")
        print(f"{path}: exported {count} published rules")
        return
    if not path.is_file():
        _fail(f"{path}: no such file", EXIT_USAGE)

    async def action() -> Any:
        return await import_rules(path, principal=SYSTEM, publish=args.publish)

    try:
        report = _run(_with_db(settings, action))
    except CSVImportFailed as failure:
        print(format_errors(failure.errors), file=sys.stderr)
        _fail(f"{path}: {len(failure.errors)} error(s); nothing was written")
    except RulesConflict as conflict:
        for error in conflict.errors:
            print(f"CONFLICT: {error.message}", file=sys.stderr)
        _fail(f"{path}: {len(conflict.ties)} tie(s) between rules; nothing was changed")
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
        _fail(f"--at: {args.at!r} is not a date (YYYY-MM-DD)", EXIT_USAGE)

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
        result = _run(_with_db(settings, action))
    except DomainError as error:
        _fail("; ".join(f"{e.code}: {e.message}" for e in error.errors))
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


def cmd_deadline(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.appeals.models import LegalTrack
    from vmeste.platform.deadlines.preview import Preview, preview
    from vmeste.platform.errors import DomainError
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)

    async def action() -> Preview:
        return await preview(runtime.appeals.deadlines, territory_code=args.territory,
                             start=args.start, category_code=args.category,
                             policy=args.policy, legal_track=LegalTrack(args.track))

    try:
        found = _run(_with_db(settings, action))
    except DomainError as error:
        _fail("; ".join(f"{e.code}: {e.message}" for e in error.errors), EXIT_USAGE)
    result = {"due_at": found.due_at.isoformat(), "start": found.start.isoformat(),
              "policy": str(found.policy), "strategy": found.strategy,
              "calendar": found.calendar, "calendar_version": found.calendar_version,
              "timezone": found.timezone, "territory": found.territory_code,
              "covered": found.covered,
              "redirect_due_at": found.redirect_due_at.isoformat()
              if found.redirect_due_at else None}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(f"{result['due_at']}  ({result['policy']} from {result['start']}, calendar "
          f"{result['calendar']}, {result['timezone']})")
    if not found.covered:
        print("warning: the term runs past the years the calendar has decree data for",
              file=sys.stderr)


def cmd_calendars(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.deadlines.services import ImportResult, import_calendar
    from vmeste.platform.deadlines.store import CalendarStore
    from vmeste.platform.errors import DomainError
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)
    if args.action == "list":
        calendars = _run(_with_db(settings, CalendarStore(0).current))
        for code, name in sorted(calendars.bindings.items()):
            print(f"{name}\t{calendars.calendars[name].version}\t{code}")
        return
    path = Path(args.file or "")
    if not path.is_file():
        _fail(f"{path}: no such file", EXIT_USAGE)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        _fail(f"{path}: not JSON: {error}", EXIT_USAGE)

    async def action() -> ImportResult:
        return await import_calendar(SYSTEM, document, runtime.appeals.deadlines)

    try:
        result = _run(_with_db(settings, action))
    except DomainError as error:
        _fail(f"{path}: " + "; ".join(f"{e.code}: {e.message}" for e in error.errors))
    print(f"{path}: calendar {result.calendar.name} version {result.calendar.version} is "
          f"current; deadlines of {result.affected} open appeal(s) are being recomputed "
          "by the workers")


def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.errors import DomainError
    from vmeste.platform.identity.dev_tokens import issue_dev_token
    from vmeste.platform.identity.models import Role

    if not settings.dev_mode:
        _fail("'vmeste token' works only in dev mode (VMESTE_DEV_MODE=1)", EXIT_USAGE)

    async def action() -> str:
        return await issue_dev_token(settings, Role(args.role), organization_ogrn=args.org,
                                     territory_code=args.territory, subject=args.sub)

    try:
        print(_run(_with_db(settings, action)))
    except DomainError as error:
        _fail("; ".join(f"{e.code}: {e.message}" for e in error.errors))


def cmd_plugins(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.plugins import build_plugin_manager, strategy_owners
    from vmeste.platform.policies.models import RegionPolicy

    pm = build_plugin_manager(settings)
    owners = strategy_owners(pm)

    async def active() -> list[dict[str, Any]]:
        return await RegionPolicy.filter(active=True).values("kind", "plugin", "territory__code")

    policies = _run(_with_db(settings, active))
    report = []
    for name, plugin in sorted(pm.list_name_plugin()):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        strategies = sorted(f"{k}/{s}" for (k, s), owner in owners.items() if owner == name)
        where = sorted({
            p["territory__code"] for p in policies if (p["kind"], p["plugin"]) in
            {key for key, owner in owners.items() if owner == name}
        })
        report.append({"name": name, "hooks": hooks, "strategies": strategies,
                       "active_in": where})
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for item in report:
        print(item["name"])
        print(f"  hooks: {', '.join(item['hooks']) or '-'}")
        print(f"  strategies: {', '.join(item['strategies']) or '-'}")
        print(f"  active in: {', '.join(item['active_in']) or '-'}")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.db import redact_url
    from vmeste.workers.runner import run_workers

    if settings.broker_url.startswith("memory"):
        _fail("the in-process broker (memory://) has no separate workers: 'vmeste serve' "
              "runs them; set VMESTE_BROKER_URL to amqp://… or redis://…", EXIT_USAGE)
    threads = args.threads or settings.worker_threads
    if not (1 <= args.processes <= 64 and 1 <= threads <= 64):
        _fail("--processes and --threads must be between 1 and 64", EXIT_USAGE)
    print(f"Worker: {args.processes} process(es) × {threads} thread(s) on "
          f"{redact_url(settings.broker_url)}", flush=True)
    run_workers(settings, args.processes, threads)


def cmd_scheduler(settings: Settings, _: argparse.Namespace) -> None:
    from vmeste.workers.runner import run_scheduler

    if settings.broker_url.startswith("memory"):
        _fail("the in-process broker (memory://) is swept by 'vmeste serve' itself; set "
              "VMESTE_BROKER_URL to amqp://… or redis://…", EXIT_USAGE)
    print(f"Scheduler: outbox every {settings.relay_interval_ms} ms, deadline watchdog "
          f"every {settings.watchdog_interval_seconds} s", flush=True)
    _run(_with_db(settings, lambda: run_scheduler(settings)))


def cmd_dead_letters(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.errors import DomainError
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.outbox.models import DeadLetter
    from vmeste.workers.deadletters import MAX_REDRIVE, redrive

    if args.action == "list":
        async def listed() -> list[dict[str, Any]]:
            query = DeadLetter.all() if args.all else DeadLetter.filter(
                redriven_at__isnull=True)
            return await query.order_by("id").values(
                "id", "actor", "queue", "message_id", "kwargs", "error", "attempts",
                "scope_path", "failed_at", "redriven_at", "redriven_by")

        rows = _run(_with_db(settings, listed))
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
            return
        for row in rows:
            state = f"re-driven {row['redriven_at']:%Y-%m-%d %H:%M}" if row["redriven_at"] \
                else "waiting"
            print(f"{row['id']:>6}  {row['failed_at']:%Y-%m-%d %H:%M}  {row['actor']}  "
                  f"{json.dumps(row['kwargs'], ensure_ascii=False)}  attempts "
                  f"{row['attempts']}  {row['error'] or '-'}  [{state}]")
        print(f"{len(rows)} dead letter(s)")
        return

    async def redrive_them() -> list[Any]:
        if not args.all:
            return await redrive(SYSTEM, args.ids)
        ids = await DeadLetter.filter(redriven_at__isnull=True).order_by("id").values_list(
            "id", flat=True)
        done: list[Any] = []
        for start in range(0, len(ids), MAX_REDRIVE):  # one short transaction per chunk
            done += await redrive(SYSTEM, ids[start:start + MAX_REDRIVE])
        return done

    if not args.ids and not args.all:
        _fail("name dead letter ids, or --all", EXIT_USAGE)
    try:
        done = _run(_with_db(settings, redrive_them))
    except DomainError as error:
        _fail("; ".join(f"{e.code}: {e.message}" for e in error.errors))
    print(f"re-driven {len(done)} dead letter(s) through the outbox")


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.schema import build_schema

    text = build_schema(settings).as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vmeste", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    serve = sub.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="migrate, load demo data and serve in dev mode")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo, dev=True)

    imp = sub.add_parser("import", help="import reference data from CSV, or territory "
                         "boundaries from a GeoJSON FeatureCollection")
    imp.add_argument("kind", choices=["territories", "organizations", "categories",
                                      "boundaries"])
    imp.add_argument("file")
    imp.add_argument("--code-property", help="boundaries: the feature property holding the "
                     "territory code (default: the first of oktmo, OKTMO, code)")
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
    route.add_argument("--applicant-type", default="person", choices=["person", "legal"])
    route.add_argument("--channel", default="portal",
                       choices=["portal", "widget", "app", "operator", "social", "open311"])
    route.add_argument("--at", help="date (YYYY-MM-DD) the rules are evaluated on")
    route.add_argument("--json", action="store_true")
    route.set_defaults(func=cmd_route)

    deadline = sub.add_parser("deadline", help="compute a deadline on the territory's calendar")
    deadline.add_argument("--territory", required=True, help="territory code")
    deadline.add_argument("--start", help="YYYY-MM-DD (start of the day) or YYYY-MM-DDTHH:MM, "
                          "in the territory's time zone (default: now)")
    deadline.add_argument("--policy", help="working-days:N, calendar-days:N or "
                          "working-hours:N (default: the region policy for --category)")
    deadline.add_argument("--category", help="category code, when --policy is not given")
    deadline.add_argument("--track", default="message", choices=["message", "appeal_59fz"])
    deadline.add_argument("--json", action="store_true")
    deadline.set_defaults(func=cmd_deadline)

    calendars = sub.add_parser("calendars", help="list or import production calendars")
    calendars.add_argument("action", choices=["list", "import"])
    calendars.add_argument("file", nargs="?", help="calendar JSON, for import")
    calendars.set_defaults(func=cmd_calendars)

    token = sub.add_parser("token", help="print a development token (dev mode only)")
    token.add_argument("--role", required=True,
                       choices=["citizen", "operator", "executor", "org_admin", "moderator",
                                "regional_admin", "federal_configurator", "auditor"])
    token.add_argument("--org", help="ОГРН, for operator, executor and org_admin")
    token.add_argument("--territory", help="territory code, for territory roles")
    token.add_argument("--sub", help="subject (user id) to issue the token for")
    token.set_defaults(func=cmd_token)

    plugins = sub.add_parser("plugins", help="list plugins, their hooks and where active")
    plugins.add_argument("--json", action="store_true")
    plugins.set_defaults(func=cmd_plugins)

    worker = sub.add_parser("worker", help="run background jobs (dramatiq) from the broker")
    worker.add_argument("--processes", type=int, default=1)
    worker.add_argument("--threads", type=int, default=0,
                        help="threads per process (default VMESTE_WORKER_THREADS)")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("scheduler", help="run the outbox relay and the deadline watchdog"
                   ).set_defaults(func=cmd_scheduler)

    letters = sub.add_parser("dead-letters", help="list or re-drive jobs that failed for good")
    letters.add_argument("action", choices=["list", "redrive"])
    letters.add_argument("ids", nargs="*", type=int, help="dead letter ids (redrive)")
    letters.add_argument("--all", action="store_true",
                         help="list: include re-driven ones; redrive: every waiting one")
    letters.add_argument("--json", action="store_true")
    letters.set_defaults(func=cmd_dead_letters)

    export = sub.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default="schema.graphql")
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "dev", False):
        os.environ.setdefault("VMESTE_DEV_MODE", "1")
    try:
        settings = load_settings()
    except SettingsError as error:
        _fail(f"invalid setting {error}", EXIT_USAGE)
    args.func(settings, args)


if __name__ == "__main__":
    main()
