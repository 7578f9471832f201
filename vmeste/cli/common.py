"""What every command shares: the database check, output, progress, and the one place
that turns an expected failure into a line on stderr and an exit code.

Exit codes: 0 done, 1 the command ran and failed (bad rows, a refused change), 2 it
could not start (usage, settings, a database that is unreachable or not migrated).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, asynccontextmanager, contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import IO, Any, NoReturn
from urllib.parse import urlsplit

from vmeste.platform.i18n import supported, use_locale
from vmeste.platform.production import ProcessKind, ProductionRefused, require_production_safe
from vmeste.platform.settings import Settings, SettingsError

EXIT_FAILURE = 1
EXIT_USAGE = 2
#: The path that means "standard output" wherever a command writes a file.
STDOUT = "-"

Command = Callable[[Settings, argparse.Namespace], None]


class CommandError(Exception):
    """An expected failure: ``details`` (many lines) go first, then the one-line message."""

    def __init__(self, message: str, code: int = EXIT_FAILURE, details: str = "") -> None:
        super().__init__(message)
        self.message, self.code, self.details = message, code, details


class DatabaseNotReady(CommandError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    raise CommandError(message, code)


def existing_file(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        fail(f"{path}: no such file", EXIT_USAGE)
    return path


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def database_place(settings: Settings) -> str:
    """Where the database is, for a message: host and port, or the SQLite file; never
    the user or the password."""
    if settings.is_sqlite:
        return f"SQLite file {settings.database_url.split('://', 1)[1] or ':memory:'}"
    parts = urlsplit(settings.database_url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


def _without_password(settings: Settings, text: str) -> str:
    password = urlsplit(settings.database_url).password
    return text.replace(password, "***") if password else text


def _unreachable(settings: Settings, error: BaseException) -> DatabaseNotReady:
    reason = _without_password(settings, str(error) or type(error).__name__)
    return DatabaseNotReady(f"cannot reach the database at {database_place(settings)}: {reason}")


def _refused(settings: Settings, error: BaseException) -> DatabaseNotReady:
    reason = _without_password(settings, str(error) or type(error).__name__)
    return DatabaseNotReady(f"the database at {database_place(settings)} refused the "
                            f"connection: {reason}")


def _open_sqlite_file(settings: Settings) -> None:
    """Open the file with the standard library first: a folder that cannot hold it is then
    one clear error, not a failure inside the async driver's thread."""
    path = settings.database_url.split("://", 1)[1]
    if not path or path == ":memory:":
        return
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()
    except (FileExistsError, NotADirectoryError):
        raise DatabaseNotReady(f"cannot create the {database_place(settings)}: "
                               f"{folder} is not a folder") from None
    except (OSError, sqlite3.Error) as error:
        reason = error.strerror if isinstance(error, OSError) else str(error)
        raise DatabaseNotReady(f"cannot open the {database_place(settings)} in {folder}: "
                               f"{reason}") from None


@asynccontextmanager
async def database(settings: Settings, *, migrated: bool = True) -> AsyncIterator[None]:
    """The ORM, open on a database that answers and, unless ``migrated`` is False, has
    every migration applied."""
    from asyncpg import InvalidAuthorizationSpecificationError, InvalidCatalogNameError
    from tortoise import connections
    from tortoise.exceptions import DBConnectionError

    from vmeste.platform.db import connect, pending_migrations

    # The server answered but refused: a wrong user or password (InvalidPasswordError is
    # a kind of the first), or no such database (the ORM wraps that in DBConnectionError).
    refused = (InvalidAuthorizationSpecificationError, InvalidCatalogNameError)

    if settings.is_sqlite:
        _open_sqlite_file(settings)
    async with connect(settings):
        try:
            await connections.get("default").execute_query("SELECT 1")
        except refused as error:
            raise _refused(settings, error) from None
        except (OSError, DBConnectionError, TimeoutError) as error:
            if isinstance(error.__cause__, refused):
                raise _refused(settings, error.__cause__) from None
            raise _unreachable(settings, error) from None
        if migrated and (pending := await pending_migrations(settings)):
            raise DatabaseNotReady(
                f"the database at {database_place(settings)} is not migrated "
                f"({len(pending)} migration(s) pending); run `vmeste migrate`")
        yield


def run_with_db(settings: Settings, action: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    async def opened() -> Any:
        async with database(settings):
            return await action()

    return run(opened())


def check_database(settings: Settings, *, migrated: bool = True) -> None:
    """Refuse to start a long-running command on a database it could not use."""
    async def probe() -> None:
        async with database(settings, migrated=migrated):
            pass

    run(probe())


def check_production(settings: Settings, kind: ProcessKind, processes: int = 1) -> None:
    """With ``VMESTE_ENV=production``, refuse settings unsafe there (one line each, see
    vmeste/platform/production.py) and print the warnings before anything starts. An
    API process's warnings are the app's lifespan's to log, once in each process."""
    warnings = require_production_safe(settings, kind, processes)
    if kind != ProcessKind.API:
        for warning in warnings:
            print(f"vmeste: warning: {warning}", file=sys.stderr, flush=True)


def check_startup(settings: Settings, kind: ProcessKind = ProcessKind.API,
                  processes: int = 1) -> None:
    """Refuse to start a long-running command (``kind``, starting ``processes``) on
    settings unsafe for production, or while a plugin reports its configuration broken
    (``vmeste_startup_checks``); each problem is a line on stderr."""
    from vmeste.platform.plugins import build_plugin_manager
    from vmeste.platform.startup import require_startable

    check_production(settings, kind, processes)
    run(require_startable(build_plugin_manager(settings), settings))


def observe(settings: Settings, process: str) -> None:
    """Logs through the one formatter and, when the ``OTEL_*`` variables ask for it,
    tracing, for a long-running command; tracing asked for but impossible (the ``otel``
    extra missing) refuses to start rather than run without the traces expected."""
    from vmeste.platform.observability.logs import observe_process
    from vmeste.platform.observability.tracing import TracingUnavailable

    try:
        observe_process(settings, process)
    except TracingUnavailable as refused:
        raise CommandError(str(refused), EXIT_USAGE) from None


def iso_date(text: str) -> date:
    """An argparse type: a bad date is a usage error naming the option, not a traceback."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def past_date(text: str) -> date:
    """An argparse type for a birth date: a real date, not after today."""
    value = iso_date(text)
    if value > date.today():
        raise argparse.ArgumentTypeError(f"{text!r} is in the future")
    return value


def domain_message(error: Any) -> str:
    return "; ".join(f"{e.code}: {e.message}" for e in error.errors)


@contextmanager
def output(target: str) -> Iterator[IO[str]]:
    """A text file to write an export to; ``-`` is standard output."""
    if target == STDOUT:
        yield sys.stdout
        return
    with open(target, "w", encoding="utf-8", newline="") as file:
        yield file


def wrote(target: str, what: str) -> None:
    """Report an export on stderr when it went to stdout, so the data stays clean."""
    print(f"{'stdout' if target == STDOUT else target}: {what}",
          file=sys.stderr if target == STDOUT else sys.stdout)


def progress(label: str) -> AbstractContextManager[Callable[[int, int], None]]:
    """A ``(done, total)`` callback drawing a bar on a terminal; silent in pipes and tests."""
    if not sys.stderr.isatty():
        return nullcontext(lambda done, total: None)
    return _rich_progress(label)


@contextmanager
def _rich_progress(label: str) -> Iterator[Callable[[int, int], None]]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table on a terminal; tab-separated lines, without a header, for scripts."""
    if not sys.stdout.isatty():
        for row in rows:
            print("\t".join(str(cell) for cell in row))
        return
    from rich.console import Console
    from rich.table import Table

    shown = Table(*columns)
    for row in rows:
        shown.add_row(*(str(cell) for cell in row))
    Console().print(shown)


def _prefixed(args: argparse.Namespace, message: str) -> str:
    file = getattr(args, "file", None)
    return f"{file}: {message}" if file and file != STDOUT else message


def _invalid_setting(error: SettingsError) -> CommandError:
    return CommandError(f"invalid setting {error}", EXIT_USAGE)


def _unsafe_in_production(problems: list[str]) -> CommandError:
    """One line a problem, each standing alone like an invalid setting's, so a log
    search for the variable finds the whole reason."""
    lines = [f"unsafe in production: {problem}" for problem in problems]
    return CommandError(lines[-1], EXIT_USAGE,
                        details="\n".join(f"vmeste: {line}" for line in lines[:-1]))


def _expected(error: BaseException, args: argparse.Namespace) -> CommandError | None:
    """The CommandError an expected exception stands for; None for a real bug."""
    from vmeste.platform.appeals.rules import RulesConflict
    from vmeste.platform.csvfiles import CSVImportFailed, format_errors
    from vmeste.platform.errors import DomainError
    from vmeste.platform.startup import StartupRefused

    if isinstance(error, CommandError):
        return error
    if isinstance(error, ProductionRefused):
        return _unsafe_in_production(error.problems)
    if isinstance(error, StartupRefused):
        return CommandError("not starting: a plugin's configuration is broken", EXIT_USAGE,
                            details="\n".join(error.problems))
    if isinstance(error, SettingsError):
        return _invalid_setting(error)
    if isinstance(error, DomainError):
        return CommandError(_prefixed(args, domain_message(error)),
                            getattr(args, "domain_exit", EXIT_FAILURE))
    if isinstance(error, CSVImportFailed):
        return CommandError(_prefixed(args, f"{len(error.errors)} error(s); nothing was "
                                            "written"),
                            details=format_errors(error.errors, line=error.line_label,
                                                  column=error.column_label))
    if isinstance(error, RulesConflict):
        return CommandError(
            _prefixed(args, f"{len(error.ties)} tie(s) between rules; nothing was changed"),
            details="\n".join(f"CONFLICT: {e.message}" for e in error.errors))
    if isinstance(error, json.JSONDecodeError):
        return CommandError(_prefixed(args, f"not JSON: {error}"), EXIT_USAGE)
    if isinstance(error, UnicodeDecodeError):
        return CommandError(_prefixed(args, "not UTF-8 text"), EXIT_USAGE)
    if isinstance(error, OSError) and error.filename is not None:
        return CommandError(f"{error.filename}: {error.strerror}", EXIT_USAGE)
    return None


def command_locale(requested: str | None, default: str,
                   environ: Mapping[str, str] = os.environ) -> str:
    """The command's language: ``--lang``, else the POSIX locale (the first of
    ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set decides, as for any program), else
    ``VMESTE_LOCALE``. A POSIX locale we have no catalog for (``C.UTF-8``) is the default."""
    if requested:
        return supported(requested) or default
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return supported(environ[name]) or default
    return default


def _report(expected: CommandError) -> int:
    if expected.details:
        print(expected.details, file=sys.stderr)
    print(f"vmeste: {expected.message}", file=sys.stderr)
    return expected.code


def execute(command: Command, settings_loader: Callable[[], Settings],
            args: argparse.Namespace) -> int:
    """Run one command in its language; every expected failure becomes a short message
    and an exit code."""
    try:
        settings = settings_loader()
    except SettingsError as error:
        return _report(_invalid_setting(error))
    with use_locale(command_locale(getattr(args, "lang", None), settings.locale)):
        try:
            command(settings, args)
        except KeyboardInterrupt:
            return 130
        except Exception as error:
            expected = _expected(error, args)
            if expected is None:
                raise
            return _report(expected)
    return 0
