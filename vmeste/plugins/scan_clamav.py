"""The ``clamav`` scanner: each upload streamed to a clamd daemon over TCP with the
``INSTREAM`` command (clamd(8)): ``zINSTREAM\\0``, then chunks each prefixed with its
length as four big-endian bytes, then a zero length; clamd answers ``stream: OK``, or
``stream: <signature> FOUND``, or ``… ERROR`` (a file past its ``StreamMaxLength``, a
broken stream).

Off until a region policy of kind ``scan`` on the country picks it. Settings: ``host``
(``127.0.0.1``), ``port`` (3310), ``timeout_seconds`` (30) and ``chunk_bytes`` (64 KiB).
Anything but a clear answer in time (no daemon, a timeout, ``ERROR``) is
:class:`ScanUnavailable`: the upload is refused rather than taken unchecked.
"""

from __future__ import annotations

import asyncio
import re
import struct
from collections.abc import Mapping
from typing import Any

from vmeste.platform.attachments.scan import SCAN, ScanUnavailable, ScanVerdict
from vmeste.platform.hookspecs import StrategySpec, hookimpl
from vmeste.platform.i18n import N_, _
from vmeste.platform.strategies import unknown_settings

DEFAULTS = {"host": "127.0.0.1", "port": 3310, "timeout_seconds": 30, "chunk_bytes": 65536}
_HOST = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")
_FOUND = re.compile(r"^stream: (.+) FOUND$")


async def _instream(data: bytes, host: str, port: int, chunk: int) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"zINSTREAM\0")
        for start in range(0, len(data), chunk):
            part = data[start:start + chunk]
            writer.write(struct.pack(">I", len(part)) + part)
            await writer.drain()
        writer.write(struct.pack(">I", 0))
        await writer.drain()
        answer = await reader.readuntil(b"\0")
    finally:
        writer.close()
    return answer.rstrip(b"\0").decode("utf-8", "replace").strip()


async def scan(data: bytes, settings: Mapping[str, Any]) -> ScanVerdict:
    try:
        answer = await asyncio.wait_for(
            _instream(data, str(settings["host"]), int(settings["port"]),
                      int(settings["chunk_bytes"])), timeout=float(settings["timeout_seconds"]))
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        raise ScanUnavailable("clamd did not answer") from None
    if answer == "stream: OK":
        return ScanVerdict(infected=False)
    found = _FOUND.match(answer)
    if found:
        return ScanVerdict(infected=True, signature=found.group(1))
    raise ScanUnavailable("clamd answered with an error")


def _validate(settings: Mapping[str, Any]) -> list[str]:
    problems = unknown_settings(settings, DEFAULTS)
    port, host = settings.get("port"), settings.get("host")
    if not isinstance(host, str) or not _HOST.match(host) or isinstance(port, bool) or (
            not isinstance(port, int) or not 1 <= port <= 65535):
        problems.append(_("The clamd host is a name and the port 1 to 65535"))
    for name, low, high in (("timeout_seconds", 1, 600), ("chunk_bytes", 1024, 1 << 24)):
        value = settings.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(_("{name} is an integer from {low} to {high}", name=name, low=low,
                              high=high))
    return problems


@hookimpl
def vmeste_strategies() -> list[StrategySpec]:
    return [StrategySpec(kind=SCAN, name="clamav", defaults=DEFAULTS, validate=_validate,
                         handler=scan, description=N_("The ClamAV antivirus (clamd over TCP)"))]
