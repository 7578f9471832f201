"""The built-in strategy kinds, declared to the plugin manager like any plugin's.

Each kind's constant lives next to the code that runs it; this module only hands them
to ``vmeste_strategy_kinds``. ``identity`` is read by the appeal submission step
(``AppealServices._require_identified``), so it is declared here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vmeste.platform.appeals.moderation import MODERATION_KIND
from vmeste.platform.appeals.quota import SUBMISSION_QUOTA_KIND
from vmeste.platform.appeals.router import ROUTING_KIND
from vmeste.platform.deadlines.policy import DEADLINE_KIND
from vmeste.platform.hookspecs import hookimpl
from vmeste.platform.notifications.channels import NOTIFICATION_KIND
from vmeste.platform.strategies import Mode, StrategyKind

REQUIRE_VERIFIED = "require_verified"


def _validate_identity(settings: Mapping[str, Any]) -> list[str]:
    if not isinstance(settings[REQUIRE_VERIFIED], bool):
        return [f"{REQUIRE_VERIFIED} должен быть true или false"]
    return []


IDENTITY_KIND = StrategyKind(
    name="identity",
    description="Sign-in providers of a territory; the settings say whether only "
                "verified (ESIA-identified) accounts may submit appeals (547-FZ).",
    handler=None, mode=Mode.SWITCHES, defaults={REQUIRE_VERIFIED: False},
    validate=_validate_identity)


@hookimpl
def vmeste_strategy_kinds() -> list[StrategyKind]:
    return [ROUTING_KIND, MODERATION_KIND, SUBMISSION_QUOTA_KIND, DEADLINE_KIND,
            NOTIFICATION_KIND, IDENTITY_KIND]
