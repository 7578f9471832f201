"""The ``scan`` strategy kind: a file is looked at by every active scanner before it is
stored, and an infected one is refused and never stored.

No scanner is active by default. The optional ``clamav`` plugin
(``vmeste/plugins/scan_clamav.py``) asks a clamd daemon; a region policy of kind
``scan`` on the country switches scanners on. A scanner that cannot answer (the daemon
is down) refuses the upload: a file nobody could check is not taken while a scanner is
on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vmeste.platform.strategies import Mode, StrategyKind

SCAN = "scan"


@dataclass(frozen=True)
class ScanVerdict:
    infected: bool
    #: The scanner's name for what it found ("Eicar-Test-Signature"); empty when clean.
    signature: str = ""


class ScanUnavailable(Exception):
    """The scanner could not give a verdict (unreachable, timed out, an error answer)."""


class ScanHandler(Protocol):
    """Looks at a file's bytes; raises :class:`ScanUnavailable` when it cannot tell."""

    def __call__(self, data: bytes, settings: Mapping[str, Any], /
                 ) -> ScanVerdict | Awaitable[ScanVerdict]: ...


SCAN_KIND = StrategyKind(
    name=SCAN, handler=ScanHandler, mode=Mode.SWITCHES,
    description="Scanners every uploaded file passes before it is stored (an antivirus).")
