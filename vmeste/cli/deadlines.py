"""Deadlines and production calendars: deadline, calendars."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vmeste.cli.common import EXIT_USAGE, existing_file, fail, run_with_db, table
from vmeste.platform.appeals.models import LegalTrack
from vmeste.platform.settings import Settings


def cmd_deadline(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.appeals.services import AppealServices
    from vmeste.platform.deadlines.preview import Preview
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)

    async def action() -> Preview:
        return await runtime.service(AppealServices).terms.preview(
            territory_code=args.territory, start=args.start, category_code=args.category,
            policy=args.policy, legal_track=LegalTrack(args.track))

    found = run_with_db(settings, action)
    result = {"due_at": found.due_at.isoformat(), "start": found.start.isoformat(),
              "policy": str(found.policy), "strategy": found.strategy,
              "calendar": found.calendar, "calendar_version": found.calendar_version,
              "timezone": found.timezone, "territory": found.territory_code,
              "covered": found.covered,
              "redirect_due_at": found.secondary_due_at.isoformat()
              if found.secondary_due_at else None}
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
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)
    if args.action == "list":
        calendars = run_with_db(settings, CalendarStore(0).current)
        table(("calendar", "version", "territory"),
              [(name, calendars.calendars[name].version, code)
               for code, name in sorted(calendars.bindings.items())])
        return
    if not args.file:
        fail("calendars import needs a calendar JSON file", EXIT_USAGE)
    path = existing_file(args.file)
    document = json.loads(path.read_text(encoding="utf-8"))

    async def action() -> ImportResult:
        return await import_calendar(SYSTEM, document, runtime.deadlines)

    result = run_with_db(settings, action)
    print(f"{path}: calendar {result.calendar.name} version {result.calendar.version} is "
          f"current; deadlines of {result.affected} open appeal(s) are being recomputed "
          "by the workers")


def register(sub: Any) -> None:
    deadline = sub.add_parser("deadline", help="compute a deadline on the territory's calendar")
    deadline.add_argument("--territory", required=True, help="territory code (OKTMO)")
    deadline.add_argument("--start", help="YYYY-MM-DD (start of the day) or YYYY-MM-DDTHH:MM, "
                          "in the territory's time zone (default: now)")
    deadline.add_argument("--policy", help="working-days:N, calendar-days:N or "
                          "working-hours:N (default: the region policy for --category)")
    deadline.add_argument("--category", help="category code, when --policy is not given")
    deadline.add_argument("--track", default=LegalTrack.MESSAGE.value,
                          choices=[t.value for t in LegalTrack],
                          help="a platform message or a formal appeal under 59-FZ")
    deadline.add_argument("--json", action="store_true", help="print the result as JSON")
    # A refused --start or --policy is a usage error here, not a failed operation.
    deadline.set_defaults(func=cmd_deadline, domain_exit=EXIT_USAGE)

    calendars = sub.add_parser("calendars", help="list or import production calendars")
    calendars.add_argument("action", choices=["list", "import"],
                           help="list: calendars and the territories bound to them; "
                           "import: load FILE as a new version")
    calendars.add_argument("file", nargs="?", help="calendar JSON, for import")
    calendars.set_defaults(func=cmd_calendars)
