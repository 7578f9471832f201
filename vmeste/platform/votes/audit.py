"""The audit record every organiser's step on a vote leaves, written in the step's
transaction (a vote's own history, ``VoteEvent``, is its public story; the audit trail
is the platform's, read by auditors with every other change)."""

from __future__ import annotations

from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.audit.services import record, snapshot
from vmeste.platform.votes.models import Vote

OBJECT_TYPE = "vote"
#: What a vote's audit records show of it: its state and the rules it runs by.
AUDITED = ("status", "title", "method", "territory_path", "is_template", "template_id",
           "max_choices", "points", "max_points_per_option", "budget", "min_budget_share",
           "min_projects", "max_projects", "winners_count", "winner_rule", "min_age",
           "verified_only", "allow_revote", "live_results", "min_group_size", "opens_at",
           "closes_at", "board_root", "board_size")


def state(vote: Vote) -> dict[str, Any]:
    return snapshot(vote, AUDITED)


async def audit_step(conn: BaseDBAsyncClient, vote: Vote, actor: str, action: str,
                     before: dict[str, Any] | None) -> None:
    await record(actor=actor, action=f"{OBJECT_TYPE}.{action}", object_type=OBJECT_TYPE,
                 object_id=vote.pk, before=before, after=state(vote),
                 scope_path=vote.territory_path, using=conn)
