"""The votes' integrity in GraphQL: the public integrity log, and the organisers'
quarantines and alert dismissals.

The log is public, like the results it explains: what was held out, when, where, how
many ballots and why. It names nobody: not the voters (ballots name no one) and not
the staff who acted (the audit trail keeps who).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry
from strawberry import relay

from vmeste.platform.errors import DomainError
from vmeste.platform.i18n import _
from vmeste.platform.votes import models, quarantine
from vmeste.schema.errors import UserError, global_pk, run_mutation
from vmeste.schema.pagination import CountedConnection, paginate
from vmeste.schema.reference.types import Territory

IntegrityAlertStatus = strawberry.enum(
    models.AlertStatus, name="IntegrityAlertStatus",
    description="OPEN until an organiser quarantines its ballots (QUARANTINED) or "
                "dismisses it (DISMISSED).")


def vote_pk(value: relay.GlobalID) -> int:
    return global_pk(value, "Vote", field="voteId", message=_("This is not a vote's id"))


@strawberry.type(description="A minute in which a territory's ballots stood far above their "
                             "own baseline.")
class IntegrityAlert:
    id: relay.GlobalID
    territory_code: str = strawberry.field(
        description="The territory (the voters' municipality) whose ballots spiked.")
    minute: datetime = strawberry.field(description="The minute, to the minute.")
    ballots: int = strawberry.field(description="Ballots cast there in that minute.")
    baseline: float = strawberry.field(
        description="The median of its ballots a minute over the trailing window.")
    threshold: float = strawberry.field(
        description="What a minute had to exceed: the median plus the configured number of "
                    "median absolute deviations.")
    status: IntegrityAlertStatus  # type: ignore[valid-type]
    resolution: str = strawberry.field(
        description="Why it was quarantined or dismissed; empty while open.")

    @classmethod
    def from_model(cls, row: models.IntegrityAlert) -> Self:
        return cls(id=relay.GlobalID("IntegrityAlert", str(row.id)),
                   territory_code=row.territory_group, minute=row.minute, ballots=row.ballots,
                   baseline=row.baseline, threshold=row.threshold, status=row.status,
                   resolution=row.resolution)


@strawberry.type(description="A territory's ballots of a window, held out of the results "
                             "until released.")
class VoteQuarantine:
    id: relay.GlobalID
    starts_at: datetime = strawberry.field(description="The window's first minute.")
    ends_at: datetime = strawberry.field(description="The end of the window (not included).")
    reason: str
    ballots: int = strawberry.field(description="How many ballots it held out.")
    created_at: datetime
    released_at: datetime | None = strawberry.field(
        description="When its ballots were counted again; null while they are held.")
    release_reason: str
    territory_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: models.VoteQuarantine) -> Self:
        return cls(id=relay.GlobalID("VoteQuarantine", str(row.id)), starts_at=row.starts_at,
                   ends_at=row.ends_at, reason=row.reason, ballots=row.ballots,
                   created_at=row.created_at, released_at=row.released_at,
                   release_reason=row.release_reason, territory_id=row.territory_id)

    @strawberry.field(description="The territory whose subtree's ballots it holds.")
    async def territory(self, info: strawberry.Info) -> Territory:
        found: Territory = await info.context.loaders.territory.load(self.territory_id)
        return found


@strawberry.type(description="What the integrity watch saw and what the organisers held out.")
class VoteIntegrityLog:
    vote_id: relay.GlobalID
    pk: strawberry.Private[int]

    @strawberry.field(description="The alerts, oldest first.")
    async def alerts(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[IntegrityAlert]:
        return await paginate(models.IntegrityAlert.filter(vote_id=self.pk), info=info,
                              convert=IntegrityAlert.from_model, first=first, after=after,
                              last=last, before=before)

    @strawberry.field(description="The quarantines, oldest first, released ones included.")
    async def quarantines(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> CountedConnection[VoteQuarantine]:
        return await paginate(models.VoteQuarantine.filter(vote_id=self.pk), info=info,
                              convert=VoteQuarantine.from_model, first=first, after=after,
                              last=last, before=before)


@strawberry.type
class IntegrityQuery:
    @strawberry.field(description="A vote's public integrity log, open to anyone once the vote "
                                  "is open (a draft's to its organisers only); null for an "
                                  "unknown vote.")
    async def vote_integrity_log(self, info: strawberry.Info, vote_id: relay.GlobalID
                                 ) -> VoteIntegrityLog | None:
        try:
            pk = vote_pk(vote_id)
        except DomainError:  # not a vote's id: no such vote
            return None
        vote = await quarantine.vote_with_public_log(info.context.principal, pk)
        return VoteIntegrityLog(vote_id=vote_id, pk=vote.id) if vote is not None else None


@strawberry.input
class QuarantineBallotsInput:
    vote_id: relay.GlobalID
    territory_code: str = strawberry.field(
        description="The territory (within the vote's) whose subtree's ballots are held.")
    starts_at: datetime = strawberry.field(description="Rounded down to the minute.")
    ends_at: datetime = strawberry.field(
        description="Rounded up to the minute; the window must be over.")
    reason: str = strawberry.field(description="Required; shown in the public log.")


@strawberry.input
class ReleaseQuarantineInput:
    quarantine_id: relay.GlobalID
    reason: str = strawberry.field(description="Required; shown in the public log.")


@strawberry.input
class DismissIntegrityAlertInput:
    alert_id: relay.GlobalID
    reason: str = strawberry.field(description="Required; shown in the public log.")


@strawberry.type
class VoteQuarantinePayload:
    quarantine: VoteQuarantine | None
    user_errors: list[UserError]


@strawberry.type
class IntegrityAlertPayload:
    alert: IntegrityAlert | None
    user_errors: list[UserError]


async def _quarantine(info: strawberry.Info, data: QuarantineBallotsInput) -> VoteQuarantine:
    row = await quarantine.quarantine(info.context.principal, vote_pk(data.vote_id),
                                      data.territory_code, data.starts_at, data.ends_at,
                                      data.reason)
    return VoteQuarantine.from_model(row)


async def _release(info: strawberry.Info, data: ReleaseQuarantineInput) -> VoteQuarantine:
    pk = global_pk(data.quarantine_id, "VoteQuarantine", field="quarantineId",
                   message=_("This is not a quarantine's id"))
    return VoteQuarantine.from_model(
        await quarantine.release(info.context.principal, pk, data.reason))


async def _dismiss(info: strawberry.Info, data: DismissIntegrityAlertInput) -> IntegrityAlert:
    pk = global_pk(data.alert_id, "IntegrityAlert", field="alertId",
                   message=_("This is not an alert's id"))
    return IntegrityAlert.from_model(
        await quarantine.dismiss_alert(info.context.principal, pk, data.reason))


@strawberry.type
class IntegrityMutation:
    @strawberry.mutation(description="Hold a territory's ballots of a window out of the "
                                     "results (the vote's organisers, while it is open or "
                                     "closed, never after publication).")
    async def quarantine_ballots(self, info: strawberry.Info, input: QuarantineBallotsInput
                                 ) -> VoteQuarantinePayload:
        found, errors = await run_mutation(_quarantine(info, input))
        return VoteQuarantinePayload(quarantine=found, user_errors=errors)

    @strawberry.mutation(description="Count a quarantine's ballots again.")
    async def release_quarantine(self, info: strawberry.Info, input: ReleaseQuarantineInput
                                 ) -> VoteQuarantinePayload:
        found, errors = await run_mutation(_release(info, input))
        return VoteQuarantinePayload(quarantine=found, user_errors=errors)

    @strawberry.mutation(description="Close an alert that needs no quarantine.")
    async def dismiss_integrity_alert(self, info: strawberry.Info,
                                      input: DismissIntegrityAlertInput) -> IntegrityAlertPayload:
        found, errors = await run_mutation(_dismiss(info, input))
        return IntegrityAlertPayload(alert=found, user_errors=errors)
