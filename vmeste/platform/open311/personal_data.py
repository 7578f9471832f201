"""Open311's share of a citizen's data rights: what a client application said about
its user beyond the appeal (``open311_request``).

The person is the applicant a client named (``open311:<client>``), so the rows are
those of their appeals. An erasure keeps the rows with their appeals (the body's
record) but clears what names or reaches the person (e-mail, names, phone, the client's
device and account ids; the account id becomes the pseudonym, since the client may still
ask for the request by it). Once the appeal's retention is over (the appeal's own rule:
finished, its last step older than ``VMESTE_RETENTION_APPEALS_DAYS``), the request's
place, address, media link and attributes go as well, so the public reads show none of
them. This share runs before the appeals' (``order``), whose retention empties the
appeal's text, the mark this one uses to tell appeals not yet cleared.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.backends.base.client import BaseDBAsyncClient

from vmeste.platform.appeals.personal_data import FINISHED
from vmeste.platform.open311.models import Open311Request
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, batched, records

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

COLUMNS = ("appeal_id", "client__name", "service_code", "address_string", "address_id",
           "latitude", "longitude", "media_url", "attributes", "email", "first_name",
           "last_name", "phone", "device_id", "account_id", "requested_at")
#: What names or reaches the person, cleared by an erasure.
CONTACTS: dict[str, Any] = {"email": "", "first_name": "", "last_name": "", "phone": "",
                            "device_id": ""}
#: What the request said of its place and content, cleared with the appeal's content.
CONTENT: dict[str, Any] = {"address_string": "", "latitude": None, "longitude": None,
                           "media_url": "", "attributes": {}}
BATCH = 500


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    return records(await Open311Request.filter(appeal__applicant_id=user_id).order_by(
        "id").values(*COLUMNS))


async def _expired(conn: BaseDBAsyncClient, cutoff: datetime, **where: Any) -> list[int]:
    return list(await Open311Request.filter(
        appeal__status__in=FINISHED, appeal__updated_at__lt=cutoff, **where).exclude(
        appeal__text="").using_db(conn).order_by("id").limit(BATCH).values_list(
        "id", flat=True))


async def _clear(conn: BaseDBAsyncClient, ids: list[int]) -> None:
    if ids:
        await Open311Request.filter(id__in=ids).using_db(conn).update(
            **CONTENT, **CONTACTS, account_id="")


async def _erase(erasure: Erasure) -> Outcome:
    conn = erasure.conn
    renamed = await Open311Request.filter(appeal__applicant_id=erasure.user_id).using_db(
        conn).values_list("id", flat=True)
    if renamed:
        await Open311Request.filter(id__in=renamed).using_db(conn).update(
            **CONTACTS, account_id=erasure.pseudonym)
    cutoff = erasure.now - timedelta(days=erasure.runtime.settings.retention_appeals_days)
    expired = await _expired(conn, cutoff, appeal__applicant_id=erasure.user_id)
    await _clear(conn, expired)
    outcome = Outcome(removed=len(expired), pseudonymised=len(renamed) - len(expired),
                      kept=len(renamed) - len(expired))
    if outcome.kept:
        outcome.notes.append("Open311 requests kept with their appeals, the person's "
                             "contacts and ids cleared")
    return outcome


async def _retention(runtime: Runtime, now: datetime) -> Outcome:
    cutoff = now - timedelta(days=runtime.settings.retention_appeals_days)

    async def step(conn: BaseDBAsyncClient) -> int:
        ids = await _expired(conn, cutoff)
        await _clear(conn, ids)
        return len(ids)

    return Outcome(removed=await batched(step, BATCH))


OPEN311_DATA = PersonalData(
    section="open311", describes="What a client application (Open311) sent with the "
    "requests it filed for you: your contacts, its ids for you, the place, the media link "
    "and the answers to the service's questions.", export=_export, erase=_erase,
    retention=_retention, order=-1)
