"""The spike watch: each territory's ballots per minute against its own robust
baseline.

A territory group (``Ballot.territory_group``, the voter's municipality) is judged
minute by minute against its trailing ``vote_spike_window_minutes``, minutes without a
ballot counted as zeros. The baseline is the median and the spread the median absolute
deviation (scaled by 1.4826, so it estimates a standard deviation): one burst does not
move either, unlike a mean. A minute is a spike when it holds at least
``vote_spike_min_ballots`` ballots and more than ``median + vote_spike_deviations ×
max(MAD, 1)`` (the floor of 1 keeps a perfectly steady trickle from alerting on one
ballot more). The minutes before the vote opened are no baseline, and a minute with
fewer than :data:`MIN_BASELINE_MINUTES` of baseline is not judged: the first minutes
of a vote set its baseline.

A check reads its minutes and their baseline in one GROUP BY over the index
``(vote_id, cast_minute, territory_group)``; ballots held in quarantine count, since
the watch is about how ballots arrive, not which are counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from tortoise.functions import Count

from vmeste.platform.votes.models import Ballot, Vote

#: Scales a median absolute deviation into a standard deviation's estimate (normal data).
MAD_SCALE = 1.4826
MINUTE = timedelta(minutes=1)
#: Minutes of baseline a minute needs before it is judged.
MIN_BASELINE_MINUTES = 5


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Thresholds:
    """The installation's settings for the watch."""

    min_ballots: int
    deviations: float
    window: int

    @classmethod
    def of(cls, settings: Any) -> Thresholds:
        return cls(min_ballots=settings.vote_spike_min_ballots,
                   deviations=settings.vote_spike_deviations,
                   window=settings.vote_spike_window_minutes)


@dataclass(frozen=True)
class Verdict:
    spike: bool
    #: The baseline's median, ballots a minute.
    baseline: float
    #: What a minute must exceed (besides ``min_ballots``) to be a spike.
    threshold: float


def judge(history: Sequence[int], count: int, thresholds: Thresholds) -> Verdict:
    """Whether ``count`` ballots in a minute is a spike over ``history`` (the trailing
    minutes' counts, zeros included; not empty)."""
    baseline = float(median(history))
    mad = MAD_SCALE * float(median([abs(value - baseline) for value in history]))
    threshold = baseline + thresholds.deviations * max(mad, 1.0)
    return Verdict(spike=count >= thresholds.min_ballots and count > threshold,
                   baseline=baseline, threshold=threshold)


@dataclass(frozen=True)
class Spike:
    territory_group: str
    minute: datetime
    ballots: int
    baseline: float
    threshold: float


#: Ballots per minute of each territory group.
Counts = Mapping[str, Mapping[datetime, int]]


def spikes(counts: Counts, first: datetime, end: datetime, thresholds: Thresholds,
           opened: datetime | None = None) -> list[Spike]:
    """The spikes among the minutes ``[first, end)``, by group then minute. Only minutes
    holding ``min_ballots`` can be spikes, so only they are judged."""
    found = []
    start = floor_minute(opened) if opened is not None else None
    for group in sorted(counts):
        by_minute = counts[group]
        for minute in sorted(m for m, n in by_minute.items()
                             if first <= m < end and n >= thresholds.min_ballots):
            back = [minute - MINUTE * k for k in range(1, thresholds.window + 1)]
            history = [by_minute.get(m, 0) for m in back if start is None or m >= start]
            if len(history) < MIN_BASELINE_MINUTES:
                continue
            verdict = judge(history, by_minute[minute], thresholds)
            if verdict.spike:
                found.append(Spike(group, minute, by_minute[minute], verdict.baseline,
                                   verdict.threshold))
    return found


async def minute_counts(vote_id: int, since: datetime, end: datetime) -> Counts:
    """Ballots per group and minute in ``[since, end)``: one GROUP BY."""
    rows = await (Ballot.filter(vote_id=vote_id, cast_minute__gte=since, cast_minute__lt=end)
                  .annotate(n=Count("id")).group_by("territory_group", "cast_minute")
                  .values_list("territory_group", "cast_minute", "n"))
    counts: dict[str, dict[datetime, int]] = defaultdict(dict)
    for group, minute, n in rows:
        counts[group][minute] = int(n)
    return counts


async def check(vote: Vote, first: datetime, end: datetime, thresholds: Thresholds
                ) -> list[Spike]:
    """The vote's spikes among the complete minutes ``[first, end)``."""
    if first >= end:
        return []
    since = first - MINUTE * thresholds.window
    if vote.opened_at is not None:
        since = max(since, floor_minute(vote.opened_at))
    counts = await minute_counts(vote.pk, since, end)
    return spikes(counts, first, end, thresholds, vote.opened_at)
