"""The organiser's steps of a vote: create (or instantiate a template), edit the draft,
open, close, publish the results.

Each step is the platform's step shape (:data:`vmeste.platform.votes.steps.VOTE_STEPS`):
the caller's right and the state machine are checked, then the vote row (under its
revision), its event, the outbox messages and the audit record commit in one
transaction. Closing is :func:`vmeste.platform.votes.closing.close_vote`, the step the
watchdog takes at ``closesAt`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.policies.services import PolicyResolver
from vmeste.platform.reference.models import Territory
from vmeste.platform.steps import Within
from vmeste.platform.votes import access, drafts
from vmeste.platform.votes.audit import audit_step, state
from vmeste.platform.votes.ballot_rows import coarsen_to_days
from vmeste.platform.votes.closing import close_vote
from vmeste.platform.votes.drafts import OptionInput, VoteInput
from vmeste.platform.votes.lifecycle import Action
from vmeste.platform.votes.models import Vote, VoteOption, VoteStatus
from vmeste.platform.votes.open_votes import OpenVotes
from vmeste.platform.votes.steps import VOTE_STEPS as STEPS

__all__ = ["OptionInput", "VoteInput", "VoteServices"]

#: How soon after opening the watchdog first looks at a vote (its integrity watch then
#: sets the next look itself).
FIRST_CHECK = timedelta(seconds=60)
#: What ``updateVote`` may change: the input's fields but the template link.
EDITABLE = frozenset(f for f in VoteInput.__dataclass_fields__
                     if f not in ("is_template", "template_id"))


async def _territory(code: str) -> Territory:
    found = await Territory.get_or_none(code=code)
    if found is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    return found


async def _template(principal: Principal, template_id: int | None) -> Vote | None:
    if template_id is None:
        return None
    found = await Vote.get_or_none(id=template_id)
    if found is None or not access.may_see(principal, found):
        raise DomainError.of("templateId", _("Template not found"), ErrorCode.NOT_FOUND)
    if not found.is_template:
        raise DomainError.of("templateId", _("This vote is not a template"), ErrorCode.INVALID)
    return found


@dataclass
class VoteServices:
    """The lifecycle bound to this process's policies (which methods a territory
    allows) and settings."""

    resolver: PolicyResolver
    #: ``VMESTE_MIN_GROUP_SIZE``: a vote's smallest published group unless it says.
    min_group_size: int = 10
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: Open votes as casting reads them, kept for ``VMESTE_POLICY_CACHE_SECONDS``.
    open_votes: OpenVotes = field(default_factory=OpenVotes)

    async def _checked(self, principal: Principal, data: VoteInput) -> drafts.Draft:
        """``data`` checked, once the caller is known to organise votes of its
        territory."""
        territory = await _territory(data.territory_code)
        access.require_organiser_at(principal, territory.path)
        template = await _template(principal, data.template_id)
        return await drafts.check(data, territory, template, self.resolver,
                                  self.min_group_size)

    async def create(self, principal: Principal, data: VoteInput) -> Vote:
        """A draft (or a template), with its options."""
        access.require_some_organiser(principal)
        draft = await self._checked(principal, data)
        async with in_transaction() as conn:
            vote = await Vote.create(**draft.columns, status=VoteStatus.DRAFT,
                                     created_by=principal.actor, using_db=conn)
            await VoteOption.bulk_create(draft.option_rows(vote), using_db=conn)
            await STEPS.record(conn, vote, principal.actor, Action.CREATE, None,
                               VoteStatus.DRAFT, payload={"options": len(draft.options)})
            await audit_step(conn, vote, principal.actor, Action.CREATE, None)
        return vote

    async def update(self, principal: Principal, vote_id: int, changes: dict[str, Any]
                     ) -> Vote:
        """Change a draft: the named fields of :class:`VoteInput` (``options`` replaces
        every option, which then get new ids), checked as at creation. A name outside
        :data:`EDITABLE` is the caller's bug (``ValueError``), not the user's."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        vote = await STEPS.open(vote_id, Action.UPDATE,
                                lambda v: access.require_organiser(principal, v))
        before = state(vote)
        data = replace(await drafts.input_of(vote), **changes)
        draft = await self._checked(principal, data)
        for name, value in draft.columns.items():
            setattr(vote, name, value)
        async with in_transaction() as conn:
            await STEPS.move(conn, vote, principal.actor, Action.UPDATE, VoteStatus.DRAFT,
                             payload={"changed": sorted(changes)})
            await Vote.filter(id=vote.pk).using_db(conn).update(**draft.columns)
            if "options" in changes:
                await VoteOption.filter(vote_id=vote.pk).using_db(conn).delete()
                await VoteOption.bulk_create(draft.option_rows(vote), using_db=conn)
            await audit_step(conn, vote, principal.actor, Action.UPDATE, before)
        return vote

    async def open(self, principal: Principal, vote_id: int) -> Vote:
        """Ballots are taken from now until ``closesAt`` (or until closed by hand)."""
        vote = await STEPS.open(vote_id, Action.OPEN,
                                lambda v: access.require_organiser(principal, v))
        if vote.is_template:
            raise DomainError.of("id", _("A template is not voted on: make a vote from it"),
                                 ErrorCode.INVALID)
        now = self.clock()
        if vote.closes_at is not None and vote.closes_at <= now:
            raise DomainError.of("closesAt", _("The closing time has passed: move it first"),
                                 ErrorCode.INVALID)
        before = state(vote)
        vote.opened_at = now
        vote.next_check_at = min(filter(None, (vote.closes_at, now + FIRST_CHECK)))
        return await self._step(principal, vote, Action.OPEN, VoteStatus.OPEN, before)

    async def close(self, principal: Principal, vote_id: int, reason: str = "") -> Vote:
        """No more ballots; the bulletin board is sealed."""
        vote = await STEPS.open(vote_id, Action.CLOSE,
                                lambda v: access.require_organiser(principal, v))
        return await close_vote(vote, principal.actor, self.clock(), reason)

    async def publish(self, principal: Principal, vote_id: int) -> Vote:
        """The results become everyone's, and the ballots' minutes their days (see
        :func:`vmeste.platform.votes.ballot_rows.coarsen_to_days`)."""
        vote = await STEPS.open(vote_id, Action.PUBLISH,
                                lambda v: access.require_organiser(principal, v))
        before = state(vote)
        vote.published_at = self.clock()
        return await self._step(principal, vote, Action.PUBLISH, VoteStatus.RESULTS_PUBLISHED,
                                before, {"total_ballots": vote.board_size},
                                within=lambda conn: coarsen_to_days(conn, vote.pk))

    async def _step(self, principal: Principal, vote: Vote, action: Action,
                    status: VoteStatus, before: dict[str, Any],
                    payload: dict[str, Any] | None = None, within: Within | None = None
                    ) -> Vote:
        """The step, its audit record and ``within``'s writes in one transaction."""
        async with in_transaction() as conn:
            await STEPS.move(conn, vote, principal.actor, action, status, payload=payload)
            await audit_step(conn, vote, principal.actor, action, before)
            if within is not None:
                await within(conn)
        return vote
