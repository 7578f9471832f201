"""Running and inspecting the platform: plugins, worker, scheduler, dead-letters,
export-schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

from vmeste.cli.common import (
    EXIT_USAGE,
    STDOUT,
    check_database,
    check_startup,
    fail,
    observe,
    output,
    run_with_db,
    table,
)
from vmeste.platform.observability.processes import multiprocess_directory
from vmeste.platform.production import ProcessKind
from vmeste.platform.settings import Settings


def cmd_plugins(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.plugins import build_plugin_manager, strategy_catalog, strategy_owners
    from vmeste.platform.policies.models import RegionPolicy

    pm = build_plugin_manager(settings)
    owners = strategy_owners(pm)
    catalog = strategy_catalog(pm)

    async def stored() -> list[dict[str, Any]]:
        return await RegionPolicy.all().values("kind", "plugin", "active", "territory__code")

    policies = run_with_db(settings, stored)
    kinds = _strategy_kinds(catalog, policies)
    plugins = []
    for name, plugin in sorted(pm.list_name_plugin()):
        own = {key for key, owner in owners.items() if owner == name}
        plugins.append({
            "name": name,
            "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or []),
            "strategies": sorted(f"{kind}/{strategy}" for kind, strategy in own),
            "default": sorted(f"{kind}/{strategy}" for kind, strategy in own
                              if catalog[(kind, strategy)].default),
            "active_in": sorted({p["territory__code"] for p in policies
                                 if p["active"] and (p["kind"], p["plugin"]) in own}),
        })
    if args.json:
        print(json.dumps({"plugins": plugins, "kinds": kinds}, ensure_ascii=False, indent=2))
        return
    table(("plugin", "hooks", "strategies", "default", "active in"),
          [(p["name"], _listed(p["hooks"]), _listed(p["strategies"]), _listed(p["default"]),
            _listed(p["active_in"])) for p in plugins])
    print()
    table(("kind", "default", "territories choosing otherwise"),
          [(kind, _listed(view["default"]),
            _listed([f"{code}: {_listed(chosen) if chosen else 'none'}"
                     for code, chosen in view["elsewhere"].items()]))
           for kind, view in kinds.items()])


def _strategy_kinds(catalog: dict[tuple[str, str], Any], policies: list[dict[str, Any]]
                    ) -> dict[str, dict[str, Any]]:
    """Per kind, the strategies that apply where no policy says otherwise, and each
    territory whose policies choose another set (which its subtree inherits, as
    PolicyResolver resolves it: the deepest level with a policy of the kind decides)."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind, name in sorted(catalog):
        view = kinds.setdefault(kind, {"default": [], "elsewhere": {}})
        if catalog[(kind, name)].default:
            view["default"].append(name)
    levels: dict[tuple[str, str], set[str]] = {}
    for row in policies:
        chosen = levels.setdefault((row["kind"], row["territory__code"]), set())
        if row["active"]:
            chosen.add(row["plugin"])
    for (kind, code), chosen in sorted(levels.items()):
        view = kinds.setdefault(kind, {"default": [], "elsewhere": {}})
        if sorted(chosen) != view["default"]:
            view["elsewhere"][code] = sorted(chosen)
    return kinds


def _listed(items: list[str]) -> str:
    return ", ".join(items) or "-"


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.db import redact_url
    from vmeste.platform.runtime import build_runtime
    from vmeste.workers.runner import UnknownQueues, run_workers, select_queues

    observe(settings, "worker")
    check_startup(settings, ProcessKind.WORKER, args.processes)
    if settings.broker_url.startswith("memory"):
        fail("the in-process broker (memory://) has no separate workers: 'vmeste serve' "
             "runs them; set VMESTE_BROKER_URL to amqp://… or redis://…", EXIT_USAGE)
    threads = args.threads or settings.worker_threads
    if not (1 <= args.processes <= 64 and 1 <= threads <= 64):
        fail("--processes and --threads must be between 1 and 64", EXIT_USAGE)
    try:
        queues = select_queues(settings, build_runtime(settings).topics, args.queues)
    except UnknownQueues as error:
        fail(f"--queues: {error}", EXIT_USAGE)
    check_database(settings)
    consumed = ", ".join(args.queues) if args.queues else "all queues"
    print(f"Worker: {args.processes} process(es) × {threads} thread(s) on "
          f"{redact_url(settings.broker_url)}, {consumed}", flush=True)
    with multiprocess_directory(args.processes):  # before the children start
        run_workers(settings, args.processes, threads, queues)


def _queue_names(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one queue")
    return names


def cmd_scheduler(settings: Settings, _: argparse.Namespace) -> None:
    from vmeste.workers.runner import run_scheduler

    observe(settings, "scheduler")
    check_startup(settings, ProcessKind.SCHEDULER)
    if settings.broker_url.startswith("memory"):
        fail("the in-process broker (memory://) is swept by 'vmeste serve' itself; set "
             "VMESTE_BROKER_URL to amqp://… or redis://…", EXIT_USAGE)
    check_database(settings)
    print(f"Scheduler: outbox every {settings.relay_interval_ms} ms, deadline watchdog "
          f"every {settings.watchdog_interval_seconds} s", flush=True)
    with multiprocess_directory(1):
        run_with_db(settings, lambda: run_scheduler(settings))


def cmd_dead_letters(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.platform.identity.principal import SYSTEM
    from vmeste.platform.outbox.deadletters import MAX_REDRIVE, redrive
    from vmeste.platform.outbox.models import DeadLetter
    from vmeste.platform.runtime import build_runtime

    topics = build_runtime(settings).topics

    if args.action == "list":
        async def listed() -> list[dict[str, Any]]:
            query = DeadLetter.all() if args.all else DeadLetter.filter(
                redriven_at__isnull=True)
            return await query.order_by("id").values(
                "id", "actor", "queue", "message_id", "kwargs", "error", "attempts",
                "scope_path", "failed_at", "redriven_at", "redriven_by")

        rows = run_with_db(settings, listed)
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
            return await redrive(SYSTEM, args.ids, topics)
        ids = await DeadLetter.filter(redriven_at__isnull=True).order_by("id").values_list(
            "id", flat=True)
        done: list[Any] = []
        for start in range(0, len(ids), MAX_REDRIVE):  # one short transaction per chunk
            done += await redrive(SYSTEM, ids[start:start + MAX_REDRIVE], topics)
        return done

    if not args.ids and not args.all:
        fail("name dead letter ids, or --all", EXIT_USAGE)
    done = run_with_db(settings, redrive_them)
    print(f"re-driven {len(done)} dead letter(s) through the outbox")


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> None:
    from vmeste.schema import build_schema

    text = build_schema(settings).as_str() + "\n"
    with output(args.output) as file:
        file.write(text)
    if args.output != STDOUT:
        print(f"wrote {args.output}")


def register(sub: Any) -> None:
    plugins = sub.add_parser("plugins", help="list plugins, their hooks, and where each "
                             "strategy is active (the defaults included)")
    plugins.add_argument("--json", action="store_true", help="print the report as JSON")
    plugins.set_defaults(func=cmd_plugins)

    worker = sub.add_parser("worker", help="run background jobs (dramatiq) from the broker")
    worker.add_argument("--processes", type=int, default=1, help="worker processes (1-64)")
    worker.add_argument("--threads", type=int, default=0,
                        help="threads per process (default VMESTE_WORKER_THREADS)")
    worker.add_argument("--queues", type=_queue_names, default=(), metavar="A,B",
                        help="consume only these queues, by their names without "
                             "VMESTE_QUEUE_PREFIX (deliveries,notifications); default all")
    worker.set_defaults(func=cmd_worker)

    sub.add_parser("scheduler", help="run the outbox relay and the deadline watchdog"
                   ).set_defaults(func=cmd_scheduler)

    letters = sub.add_parser("dead-letters", help="list or re-drive jobs that failed for good")
    letters.add_argument("action", choices=["list", "redrive"],
                         help="list: show them; redrive: send them through the outbox again")
    letters.add_argument("ids", nargs="*", type=int, help="dead letter ids (redrive)")
    letters.add_argument("--all", action="store_true",
                         help="list: include re-driven ones; redrive: every waiting one")
    letters.add_argument("--json", action="store_true", help="list: print JSON")
    letters.set_defaults(func=cmd_dead_letters)

    export = sub.add_parser("export-schema", help="write the GraphQL schema (SDL)")
    export.add_argument("--output", default="schema.graphql",
                        help=f"file to write ({STDOUT} for standard output)")
    export.set_defaults(func=cmd_export_schema)
