"""Appeals' share of a citizen's data rights.

Appeals are the bodies' records: the archival rules keep citizens' appeals and the
answers to them 5 years (``VMESTE_RETENTION_APPEALS_DAYS``), so an erasure keeps them,
text and answer included, and only the applicant stops being named: their profile is
pseudonymised with the account (identity's share), the details they gave an operator
(``AppealContact``: name, phone, e-mail, postal address) give way to the pseudonym, and
the histories' actor name of their own steps becomes the pseudonym. Once an appeal's
retention is over (counted from its last step, in a finished status), its text,
address, place, answer, files and the applicant's contact details go, and so do the reasons
and payloads of its history; the row stays as a counted fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.desk_models import AppealContact
from vmeste.platform.appeals.intake import ANSWER_FILES, APPEAL_FILES
from vmeste.platform.appeals.lifecycle import Action
from vmeste.platform.appeals.models import Appeal, AppealEvent, AppealStatus
from vmeste.platform.attachments.attach import release
from vmeste.platform.identity.models import User
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, batched, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

#: Statuses an appeal leaves no more by itself, from which its retention runs.
FINISHED = (AppealStatus.ANSWERED, AppealStatus.CLOSED, AppealStatus.REJECTED,
            AppealStatus.WITHDRAWN)
COLUMNS = ("id", "channel", "legal_track", "status", "applicant_type", "category__code",
           "territory__code", "address", "latitude", "longitude", "text", "answer",
           "rating", "organization__name", "created_at", "registered_at", "answered_at",
           "due_at")
#: What an appeal past its retention keeps of its content.
REMOVED: dict[str, Any] = {"text": "", "address": "", "latitude": None, "longitude": None,
                           "answer": None, "routing_trace": None}
#: What the details given to an operator keep once the person is erased or the
#: appeal's retention is over: the way they came in, nothing that reaches them.
CLEARED = {"phone": "", "email": "", "postal_address": ""}
BATCH = 500


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    appeals = records(await Appeal.filter(applicant_id=user_id).values(*COLUMNS))
    events: dict[int, list[dict[str, Any]]] = {}
    ids = [row["id"] for row in appeals]
    actor = await _actor_of(user_id)
    for event in records(await AppealEvent.filter(appeal_id__in=ids).order_by("id").values(
            "appeal_id", "at", "actor", "action", "from_status", "to_status", "reason")):
        # Officials are named by role, not by account: the export is the citizen's data.
        own = event.pop("actor") == actor
        event["by"] = "you" if own else "platform or official"
        if not own and not _to_citizen(event):
            # A colleague's note (a routing, a redirect, an escalation) is the body's.
            event["reason"] = ""
        events.setdefault(event.pop("appeal_id"), []).append(event)
    contacts = {row.pop("appeal_id"): row for row in records(
        await AppealContact.filter(appeal_id__in=ids).values(
            "appeal_id", "mode", "name", "phone", "email", "postal_address"))}
    return [{**row, "filed_on_behalf": row["channel"] == "operator",
             "contact": contacts.get(row["id"]), "history": events.get(row["id"], [])}
            for row in appeals]


def _to_citizen(event: Mapping[str, Any]) -> bool:
    """Whether an official's step is addressed to the applicant, its reason theirs to
    read: an answer, a rejection, a request for clarification."""
    return (event["action"] in (Action.ANSWER, Action.REQUEST_CLARIFICATION)
            or event["to_status"] == AppealStatus.REJECTED)


async def _actor_of(user_id: int) -> str:
    found = await User.filter(id=user_id).first().values("issuer", "subject")
    return f"{found['issuer']}:{found['subject']}" if found else ""


async def _erase(erasure: Erasure) -> Outcome:
    conn = erasure.conn
    ids = await Appeal.filter(applicant_id=erasure.user_id).using_db(conn).values_list(
        "id", flat=True)
    renamed = await AppealEvent.filter(appeal_id__in=ids, actor=erasure.actor).using_db(
        conn).update(actor=erasure.pseudonym)
    renamed += await AppealContact.filter(appeal_id__in=ids).using_db(conn).update(
        name=erasure.pseudonym, **CLEARED)
    cutoff = erasure.now - timedelta(days=erasure.runtime.settings.retention_appeals_days)
    removed = 0
    while expired := await _expired(conn, cutoff, applicant_id=erasure.user_id):
        await _depersonalise(conn, expired, erasure.now)
        removed += len(expired)
    outcome = Outcome(removed=removed, pseudonymised=renamed, kept=len(ids) - removed)
    if outcome.kept:
        outcome.notes.append("appeals and answers kept for their retention period "
                             "(archival rules: 5 years), applicant pseudonymised")
    return outcome


async def _expired(conn: BaseDBAsyncClient, cutoff: datetime, **where: Any) -> list[int]:
    # Intake refuses an empty text, so an empty one is an appeal already cleared.
    return list(await Appeal.filter(status__in=FINISHED, updated_at__lt=cutoff, **where)
                .exclude(text="").using_db(conn).order_by("id").limit(BATCH)
                .values_list("id", flat=True))


async def _depersonalise(conn: BaseDBAsyncClient, ids: list[int], now: datetime) -> None:
    """The content of appeals past retention, of their history, and their files."""
    if not ids:
        return
    await release(conn, (APPEAL_FILES, ANSWER_FILES), ids, now)
    await Appeal.filter(id__in=ids).using_db(conn).update(**REMOVED)
    await AppealContact.filter(appeal_id__in=ids).using_db(conn).update(name="", **CLEARED)
    # History rows are never changed but here: their reasons quote the citizen.
    await AppealEvent.filter(appeal_id__in=ids).using_db(conn).update(reason="", payload={})


async def _retention(runtime: Runtime, now: datetime) -> Outcome:
    cutoff = now - timedelta(days=runtime.settings.retention_appeals_days)

    async def step(conn: BaseDBAsyncClient) -> int:
        ids = await _expired(conn, cutoff)
        await _depersonalise(conn, ids, now)
        return len(ids)

    return Outcome(removed=await batched(step, BATCH))


APPEALS_DATA = PersonalData(
    section="appeals", describes="Appeals you sent or that were filed on your behalf, with "
    "their history, answers and your ratings.", export=_export, erase=_erase,
    retention=_retention)
