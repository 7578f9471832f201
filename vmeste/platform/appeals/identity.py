"""Whether a territory accepts appeals only from verified accounts: the ``identity``
strategy kind, whose strategies are the sign-in providers and whose shared setting the
submission step reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vmeste.platform.i18n import _
from vmeste.platform.strategies import Mode, StrategyKind

REQUIRE_VERIFIED = "require_verified"


def _validate_identity(settings: Mapping[str, Any]) -> list[str]:
    if not isinstance(settings[REQUIRE_VERIFIED], bool):
        return [_("{name} must be true or false", name=REQUIRE_VERIFIED)]
    return []


IDENTITY_KIND = StrategyKind(
    name="identity",
    description="Sign-in providers of a territory; the settings say whether only "
                "verified (ESIA-identified) accounts may submit appeals (547-FZ).",
    handler=None, mode=Mode.SWITCHES, defaults={REQUIRE_VERIFIED: False},
    validate=_validate_identity)
