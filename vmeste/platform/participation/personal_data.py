"""The share of a citizen's data rights that votes and polls hold alike: that a person
took part, and the profile facts copied onto their participation, never what they
chose.

A participation names the person; a ballot or a response names no one and is never
exported, nor is anything that leads to it (its receipt, the keyed links). An erasure
keeps the participation rows: they make "one person, one vote" hold and are counted in
the published participant numbers; once the account is closed they point at a
pseudonym. An erasure waits while a vote or poll the person took part in is still open:
afterwards a fresh account could otherwise take part in it a second time, and closing
drops the keyed links to their ballot (see votes/closing.py) before anything is erased.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.models import Model

from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: How long to wait before looking again at an open subject without a closing time in
#: the future (none set, or its closing step not taken yet).
RECHECK = timedelta(hours=1)
#: Profile facts a participation keeps for the breakdowns.
FACTS = ("territory__code", "territory_group", "age_band", "gender")


def participation_data(section: str, describes: str, participation: type[Model],
                       subject: str, columns: tuple[str, ...], open_status: str
                       ) -> PersonalData:
    """The declaration of one component's participations: ``participation`` has a
    ``user`` and a ``<subject>`` foreign key; ``columns`` are its own further columns
    (the day, the channel)."""

    async def export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
        return records(await participation.filter(user_id=user_id).values(
            f"{subject}_id", f"{subject}__title", f"{subject}__status", *FACTS, *columns))

    async def erase(erasure: Erasure) -> Outcome:
        kept = await participation.filter(user_id=erasure.user_id).using_db(
            erasure.conn).count()
        notes = [f"participation kept: it counts in the {subject}'s results and keeps "
                 "one person one voice; it points at the closed account"] if kept else []
        return Outcome(kept=kept, notes=notes)

    async def hold(user_id: int, now: datetime) -> datetime | None:
        closing = await participation.filter(
            user_id=user_id, **{f"{subject}__status": open_status}).values_list(
            f"{subject}__closes_at", flat=True)
        if not closing:
            return None
        return max(moment if moment is not None and moment > now else now + RECHECK
                   for moment in closing)

    return PersonalData(section=section, describes=describes, export=export, erase=erase,
                        hold=hold)
