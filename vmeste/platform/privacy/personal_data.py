"""The privacy part's own share: the citizen's exports and erasure requests. Archives
already built hold everything, so an erasure deletes them with their rows; the erasure
requests are the record of the erasure itself and stay (they hold counts only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, records
from vmeste.platform.privacy import archive
from vmeste.platform.privacy.models import DataExport, ErasureRequest

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    exports = records(await DataExport.filter(user_id=user_id).values(
        "id", "status", "requested_at", "ready_at", "expires_at"))
    erasures = records(await ErasureRequest.filter(user_id=user_id).values(
        "id", "status", "requested_at", "execute_after", "canceled_at"))
    return [*({"kind": "data_export", **row} for row in exports),
            *({"kind": "erasure_request", **row} for row in erasures)]


async def _erase(erasure: Erasure) -> Outcome:
    exports = DataExport.filter(user_id=erasure.user_id).using_db(erasure.conn)
    names = await exports.values_list("file_name", flat=True)
    removed = await exports.delete()
    for name in names:
        archive.remove(erasure.runtime.settings.data_dir, name)
    kept = await ErasureRequest.filter(user_id=erasure.user_id).using_db(erasure.conn).count()
    return Outcome(removed=removed, kept=kept,
                   notes=["erasure requests kept as the record of the erasure"])


PRIVACY_DATA = PersonalData(
    section="data_rights", describes="Your data exports and erasure requests.",
    export=_export, erase=_erase)
