"""Commands that prepare or serve a database: migrate, serve, demo."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from typing import Any

from vmeste.cli.common import (
    EXIT_USAGE,
    check_database,
    check_production,
    check_startup,
    fail,
    observe,
    run,
    run_with_db,
)
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.observability.processes import multiprocess_directory
from vmeste.platform.production import ProcessKind
from vmeste.platform.settings import Settings

DEMO_QUERIES = (
    "query { me { subject roles { role territory { name } organization { name } } } }",
    "query Orgs($after: String) { organizations(first: 20, after: $after, "
    "filter: {kind: MUNICIPAL}) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { node { ogrn name territory { name } } } } }",
)


#: uvicorn would take X-Forwarded-For from any peer on loopback as the client address;
#: the platform reads it only from VMESTE_TRUSTED_PROXIES (vmeste.platform.ratelimits), so
#: a client cannot pick the address its rate limit is counted under. Its access log
#: prints query strings (a GET's GraphQL variables): the platform writes its own.
SERVER_OPTIONS: dict[str, Any] = {"proxy_headers": False, "access_log": False}


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options, its logging through the platform's formatter (applied again
    in each worker process uvicorn spawns)."""
    from vmeste.platform.observability.logs import logging_config

    return {**SERVER_OPTIONS, "log_config": logging_config(settings, "api"), "log_level": None}

def cmd_migrate(settings: Settings, _: argparse.Namespace) -> None:
    from vmeste.platform.db import redact_url

    # The release's migration job is the first of its processes to run: an unsafe
    # setting stops the rollout there, before the schema changes.
    check_production(settings, ProcessKind.COMMAND)
    print(f"Migrating {redact_url(settings.database_url)}")
    migrate_all(settings, progress=_print_progress)


def migrate_all(settings: Settings, progress: Callable[[str, str, str], object] | None = None
                ) -> None:
    """The schema, then the production calendars this release ships."""
    from vmeste.platform.db import migrate
    from vmeste.platform.deadlines.services import upgrade_packaged_calendars
    from vmeste.platform.runtime import build_runtime

    check_database(settings, migrated=False)
    run(migrate(settings, progress=progress))
    deadlines = build_runtime(settings).deadlines
    for upgrade in run_with_db(settings, lambda: upgrade_packaged_calendars(deadlines)):
        if upgrade.affected is None:
            print(f"  calendar {upgrade.name} {upgrade.to_version} not loaded: "
                  f"{upgrade.refused}")
        else:
            print(f"  calendar {upgrade.name}: {upgrade.from_version} -> {upgrade.to_version}, "
                  f"{upgrade.affected} open appeal(s) queued for recomputation")


def _print_progress(event: str, app: str, name: str) -> None:
    if event == "apply_done":
        print(f"  applied {app}.{name}")


def default_workers(settings: Settings) -> int:
    """One API process per core (a process runs Python on one core at a time), where
    several can run: PostgreSQL and a real broker; otherwise one."""
    if settings.is_sqlite or settings.embedded_workers:
        return 1
    return os.cpu_count() or 1


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    observe(settings, "api")
    if args.workers is None:
        args.workers = default_workers(settings)
    check_startup(settings, ProcessKind.API, args.workers)
    if settings.is_sqlite:
        # The embedded default has no separate deploy step; keep its schema current.
        migrate_all(settings)
        if args.workers > 1:
            fail("SQLite supports one process; use PostgreSQL for --workers > 1", EXIT_USAGE)
    if args.workers > 1 and settings.embedded_workers:
        # Each process would run its own in-memory broker and, on start, take back the
        # rows the others still hold: jobs would run twice.
        fail("several API processes need a real broker (VMESTE_BROKER_URL=amqp://… or "
             "redis://…) with `vmeste worker` and `vmeste scheduler` beside them", EXIT_USAGE)
    check_database(settings)
    with multiprocess_directory(args.workers):  # before uvicorn starts the processes
        uvicorn.run("vmeste.app:app_from_environment", factory=True, host=args.host,
                    port=args.port, workers=args.workers, **server_options(settings))


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from vmeste.app import create_app

    observe(settings, "api")
    # Dev mode is on (the demo's point): production refuses before any demo row is
    # written to its database.
    check_production(settings, ProcessKind.API)
    migrate_all(settings)
    tokens = run_with_db(settings, lambda: _prepare_demo(settings))
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
    with multiprocess_directory(1):
        uvicorn.run(create_app(settings, server=True), host=args.host, port=args.port,
                    **server_options(settings))


async def _prepare_demo(settings: Settings) -> dict[str, str]:
    from vmeste.platform.appeals.demo import demo_tokens
    from vmeste.platform.components import load_demos
    from vmeste.platform.reference.demo import load_demo_data
    from vmeste.platform.reference.models import Territory
    from vmeste.platform.runtime import build_runtime

    runtime = build_runtime(settings)
    if not await Territory.exists():
        reference = await load_demo_data()
        print(f"Loaded demo data: {reference.territories.created} territories, "
              f"{reference.organizations.created} organizations, "
              f"{reference.categories.created} categories")
        for line in await load_demos(runtime):
            print(f"  {line}")
    try:
        return await demo_tokens(settings, runtime.service(AppealServices).router)
    except LookupError as missing:
        fail(str(missing))


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8000, help="TCP port to listen on")


def register(sub: Any) -> None:
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    serve = sub.add_parser("serve", help="run the API server")
    _add_address(serve)
    serve.add_argument("--workers", type=int, default=None,
                       help="API processes (default: one per core with PostgreSQL and a "
                            "broker, else 1)")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="migrate, load demo data and serve in dev mode")
    _add_address(demo)
    demo.set_defaults(func=cmd_demo, dev=True)
