"""What every command shares: running coroutines with the database open, and failing."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn

from vmeste.platform.settings import Settings

EXIT_FAILURE = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    print(f"vmeste: {message}", file=sys.stderr)
    raise SystemExit(code)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def with_db(settings: Settings, action: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    from vmeste.platform.db import connect

    async with connect(settings):
        return await action()


def run_with_db(settings: Settings, action: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return run(with_db(settings, action))


def domain_message(error: Any) -> str:
    return "; ".join(f"{e.code}: {e.message}" for e in error.errors)


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
