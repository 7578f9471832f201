"""Quarantines: an organiser holds a territory's ballots of a time window out of the
results, with a reason, until they release them; and dismisses alerts that need none.

A quarantine marks the vote's ballots cast in the window ``[startsAt, endsAt)`` in the
territory (the vote's own, or one of its territory groups: a ballot keeps its group's
path, ``Ballot.territory_path``, and no finer place) that no other quarantine holds, and
takes their counts back from the tallies in one batch of increments (the same
:mod:`vmeste.platform.votes.counting` a ballot adds at casting, with the sign turned),
so results, breakdowns and a recount over the counted ballots keep agreeing. Ballot
times are kept to the minute, so the window is widened to whole minutes, and it must
be over (a ballot cast later is not held). On a closed vote the bulletin board is
sealed again. The marking, the counts, the quarantine's row, its vote event (which
the organisers hear about) and its audit event are one transaction, which first locks
the vote's row (as closing does: no ballot is written meanwhile); the vote's revision
orders it against closing and publishing. After publication the
results are fixed: nothing is held or released any more.

A quarantine holds at least the vote's ``min_group_size`` ballots (``INVALID``
otherwise): the results before and after it differ by exactly its ballots, so a
smaller one would show how those few voted, and so would its release.

Open alerts of the window and subtree are resolved by the quarantine
(``QUARANTINED``); an alert that needs no quarantine is dismissed, with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.audit.services import record, snapshot
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.participation import tallies
from vmeste.platform.reference.models import PATH_SEPARATOR, Territory, subtree
from vmeste.platform.votes import access
from vmeste.platform.votes.closing import reseal
from vmeste.platform.votes.counting import SUBJECT_TYPE, ballot_counts, ballot_groups
from vmeste.platform.votes.integrity import MINUTE, floor_minute
from vmeste.platform.votes.lifecycle import Action
from vmeste.platform.votes.locks import lock_vote
from vmeste.platform.votes.models import (
    AlertStatus,
    Ballot,
    IntegrityAlert,
    Vote,
    VoteQuarantine,
)
from vmeste.platform.votes.steps import VOTE_STEPS

REASON_MAX = 2_000
AUDITED = ("vote_id", "territory_path", "starts_at", "ends_at", "reason", "ballots",
           "released_at", "release_reason")


async def _organised(principal: Principal, vote_id: int, action: Action) -> Vote:
    """The vote, once the caller is among its organisers and ``action`` is allowed."""
    return await VOTE_STEPS.open(vote_id, action,
                                 lambda row: access.require_organiser(principal, row))


async def vote_with_public_log(principal: Principal, vote_id: int) -> Vote | None:
    """The vote whose integrity log the caller may read: anyone's once it is open
    (anonymous callers included), a draft's only its organisers'."""
    vote = await Vote.get_or_none(id=vote_id)
    if vote is None or not access.may_see(principal, vote):
        return None
    return vote


def _reason(value: str, name: str = "reason") -> str:
    text = value.strip()
    if not text:
        raise DomainError.of(name, _("Give the reason: it is shown in the public integrity "
                                     "log"), ErrorCode.REQUIRED)
    if len(text) > REASON_MAX:
        raise DomainError.of(name, _("At most {limit} characters", limit=REASON_MAX),
                             ErrorCode.INVALID)
    return text


def _window(starts_at: datetime, ends_at: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The window in whole minutes: from its start's minute to the end of its end's."""
    for name, value in (("startsAt", starts_at), ("endsAt", ends_at)):
        if value.tzinfo is None:
            raise DomainError.of(name, _("Give the time with its offset from UTC"),
                                 ErrorCode.INVALID)
    starts = floor_minute(starts_at).astimezone(UTC)
    ends = floor_minute(ends_at).astimezone(UTC)
    if ends != ends_at:
        ends += MINUTE
    if ends <= starts:
        raise DomainError.of("endsAt", _("The window must end after it starts"),
                             ErrorCode.INVALID)
    if ends > now:
        raise DomainError.of("endsAt", _("A quarantine holds ballots already cast: the "
                                         "window must be over"), ErrorCode.INVALID)
    return starts, ends


async def _within_vote(vote: Vote, territory_code: str) -> Territory:
    territory = await Territory.get_or_none(code=territory_code)
    if territory is None:
        raise DomainError.of("territoryCode", _("Territory not found"), ErrorCode.NOT_FOUND)
    if not path_within(territory.path, vote.territory_path):
        raise DomainError.of("territoryCode", _("The territory is outside the vote's territory"),
                             ErrorCode.INVALID)
    parent = territory.path.rsplit(PATH_SEPARATOR, 1)[0]
    if vote.territory_path not in (territory.path, parent):
        raise DomainError.of("territoryCode", _(
            "A quarantine holds the ballots of the vote's territory or of one of the "
            "territories directly inside it: a ballot records no finer place"),
            ErrorCode.INVALID)
    return territory


def _require_a_group(vote: Vote, ballots: int) -> None:
    """A quarantine holds at least the vote's smallest published group: the results
    before and after it (and again after its release) differ by exactly its ballots,
    which would show how a smaller number of them voted."""
    if ballots < vote.min_group_size:
        raise DomainError.of(None, _(
            "The quarantine would hold {count} ballots, fewer than the vote's smallest "
            "group ({limit}): the results before and after it would show how those "
            "ballots voted. Widen the window or the territory", count=ballots,
            limit=vote.min_group_size), ErrorCode.INVALID)


async def _shift(conn: BaseDBAsyncClient, vote_id: int, quarantine_id: int, sign: int
                 ) -> int:
    """Take back (``sign=-1``) or add again (``1``) what the quarantine's ballots count,
    as one merged batch; returns how many ballots it held."""
    held = await Ballot.filter(quarantine_id=quarantine_id).using_db(conn).values_list(
        "choices", "age_band", "gender", "territory_group")
    rows = tallies.merge(((ballot_counts(choices), ballot_groups(age_band, gender, group))
                          for choices, age_band, gender, group in held),
                         SUBJECT_TYPE, vote_id, sign)
    await tallies.write_rows(conn, rows)
    return len(held)


async def quarantine(principal: Principal, vote_id: int, territory_code: str,
                     starts_at: datetime, ends_at: datetime, reason: str,
                     now: datetime | None = None) -> VoteQuarantine:
    """Hold the territory's ballots of the window out of the results."""
    vote = await _organised(principal, vote_id, Action.QUARANTINE)
    text = _reason(reason)
    starts, ends = _window(starts_at, ends_at, now or datetime.now(UTC))
    territory = await _within_vote(vote, territory_code)
    actor = principal.actor
    async with in_transaction() as conn:
        await lock_vote(conn, vote)
        window = Ballot.filter(subtree(territory.path, "territory_path"), vote_id=vote.pk,
                               cast_minute__gte=starts, cast_minute__lt=ends,
                               quarantine_id=None).using_db(conn)
        _require_a_group(vote, await window.count())
        held = await VoteQuarantine.create(
            vote_id=vote.pk, territory_id=territory.id, territory_path=territory.path,
            starts_at=starts, ends_at=ends, reason=text, created_by=actor, using_db=conn)
        await window.update(quarantine_id=held.id)
        held.ballots = await _shift(conn, vote.pk, held.id, -1)
        await VoteQuarantine.filter(id=held.id).using_db(conn).update(ballots=held.ballots)
        alerts = await _resolve_alerts(conn, vote, held, actor)
        await reseal(conn, vote)
        await VOTE_STEPS.move(conn, vote, actor, Action.QUARANTINE, vote.status, reason=text,
                              payload=_payload(held, territory_code, alert_ids=alerts))
        await record(actor=actor, action="vote.quarantine", object_type="vote_quarantine",
                     object_id=held.id, before=None, after=snapshot(held, AUDITED),
                     scope_path=vote.territory_path, using=conn)
    return held


async def release(principal: Principal, quarantine_id: int, reason: str,
                  now: datetime | None = None) -> VoteQuarantine:
    """Count the quarantine's ballots again."""
    held = await VoteQuarantine.get_or_none(id=quarantine_id)
    if held is None:
        raise DomainError.of("quarantineId", _("Quarantine not found"), ErrorCode.NOT_FOUND)
    vote = await _organised(principal, held.vote_id, Action.RELEASE)
    text = _reason(reason)
    if held.released_at is not None:
        raise DomainError.of("quarantineId", _("The quarantine is already released"),
                             ErrorCode.INVALID)
    before = snapshot(held, AUDITED)
    held.released_at, held.released_by, held.release_reason = (
        now or datetime.now(UTC), principal.actor, text)
    code = await Territory.filter(id=held.territory_id).first().values_list("code", flat=True)
    async with in_transaction() as conn:
        await lock_vote(conn, vote)
        claimed = await VoteQuarantine.filter(id=held.id, released_at=None).using_db(conn).update(
            released_at=held.released_at, released_by=held.released_by, release_reason=text)
        if claimed != 1:
            raise DomainError.of(None, _("The quarantine was just released"),
                                 ErrorCode.CONFLICT)
        await _shift(conn, vote.pk, held.id, 1)
        await Ballot.filter(quarantine_id=held.id).using_db(conn).update(quarantine_id=None)
        await reseal(conn, vote)
        await VOTE_STEPS.move(conn, vote, principal.actor, Action.RELEASE, vote.status,
                              reason=text, payload=_payload(held, str(code or "")))
        await record(actor=principal.actor, action="vote.release",
                     object_type="vote_quarantine", object_id=held.id, before=before,
                     after=snapshot(held, AUDITED), scope_path=vote.territory_path, using=conn)
    return held


async def dismiss_alert(principal: Principal, alert_id: int, reason: str) -> IntegrityAlert:
    """Close an alert that needs no quarantine (a genuine rush, say)."""
    alert = await IntegrityAlert.get_or_none(id=alert_id)
    if alert is None:
        raise DomainError.of("alertId", _("Alert not found"), ErrorCode.NOT_FOUND)
    vote = await _organised(principal, alert.vote_id, Action.DISMISS_ALERT)
    text = _reason(reason)
    if alert.status != AlertStatus.OPEN:
        raise DomainError.of("alertId", _("The alert is already resolved"), ErrorCode.INVALID)
    before = {"status": alert.status.value}
    async with in_transaction() as conn:
        claimed = await IntegrityAlert.filter(id=alert.id, status=AlertStatus.OPEN).using_db(
            conn).update(status=AlertStatus.DISMISSED, resolved_by=principal.actor,
                         resolution=text)
        if claimed != 1:
            raise DomainError.of(None, _("The alert was just resolved"), ErrorCode.CONFLICT)
        alert.status, alert.resolved_by, alert.resolution = (
            AlertStatus.DISMISSED, principal.actor, text)
        await VOTE_STEPS.record(conn, vote, principal.actor, Action.DISMISS_ALERT,
                                vote.status, vote.status, reason=text,
                                payload={"alert_id": alert.id,
                                         "territory_code": alert.territory_group})
        await record(actor=principal.actor, action="vote.dismiss_alert",
                     object_type="vote_integrity_alert", object_id=alert.id, before=before,
                     after={"status": alert.status.value, "resolution": text},
                     scope_path=vote.territory_path, using=conn)
    return alert


async def _resolve_alerts(conn: BaseDBAsyncClient, vote: Vote, held: VoteQuarantine,
                          actor: str) -> list[int]:
    """Open alerts of the window whose territory lies in the quarantined subtree."""
    candidates = await IntegrityAlert.filter(
        vote_id=vote.pk, status=AlertStatus.OPEN, minute__gte=held.starts_at,
        minute__lt=held.ends_at).using_db(conn).values_list("id", "territory_group")
    if not candidates:
        return []
    inside = set(await Territory.filter(
        subtree(held.territory_path), code__in=sorted({group for _pk, group in candidates}))
        .using_db(conn).values_list("code", flat=True))
    ids = [pk for pk, group in candidates if group in inside]
    if ids:
        await IntegrityAlert.filter(id__in=ids, status=AlertStatus.OPEN).using_db(conn).update(
            status=AlertStatus.QUARANTINED, resolved_by=actor, resolution=held.reason)
    return ids


def _payload(held: VoteQuarantine, territory_code: str, **extra: Any) -> dict[str, Any]:
    return {"quarantine_id": held.id, "territory_code": territory_code,
            "ballots": held.ballots, "starts_at": held.starts_at.isoformat(),
            "ends_at": held.ends_at.isoformat(), **extra}
