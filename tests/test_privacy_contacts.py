"""The applicant named on an appeal filed on their behalf: the details they gave an
operator are theirs to export, and an erasure replaces them while the appeal stays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strawberry import relay

from tests.privacy_world import ERASE, EXPORT, EXPORTS, unzip
from tests.test_workstation import CLAIM, CONTACT, desk, file_by_phone  # noqa: F401
from tests.worlds import ok_data
from vmeste.platform.appeals.desk_models import AppealContact
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.privacy.models import ErasureRequest


async def test_details_given_to_an_operator_are_exported_and_erased(
        graphql: Any, desk: dict[str, Any], client: Any, run_background: Any,  # noqa: F811
        vmeste_app: Any) -> None:
    filed = await file_by_phone(graphql, desk["operator"])
    appeal_id = filed["appeal"]["id"]
    code = ok_data(await graphql(CONTACT, {"id": appeal_id}, token=desk["operator"]))[
        "appeal"]["contact"]["claimCode"]
    claimed = ok_data(await graphql(CLAIM, {"code": code}, token=desk["citizen"]))
    assert claimed["claimAppeal"]["userErrors"] == []
    ok_data(await graphql(EXPORT, token=desk["citizen"]))
    await run_background()
    url = ok_data(await graphql(EXPORTS, token=desk["citizen"]))["myDataExports"][
        "edges"][0]["node"]["downloadUrl"]
    appeals = unzip((await client.get(url)).content)["appeals.json"]
    assert appeals[0]["filed_on_behalf"] is True
    assert (appeals[0]["contact"]["name"], appeals[0]["contact"]["phone"]) == (
        "Мария Иванова", "+7 912 345-67-89")

    ok_data(await graphql(ERASE, {"c": True}, token=desk["citizen"]))
    runtime = vmeste_app.state.runtime
    later = runtime.clock() + timedelta(days=runtime.settings.erasure_cooling_off_days, hours=1)
    runtime.clock = lambda: later
    await run_background()
    pk = int(relay.from_base64(appeal_id)[1])
    contact = await AppealContact.get(appeal_id=pk)
    assert contact.name.startswith("erased-")
    assert (contact.phone, contact.email, contact.postal_address) == ("", "", "")
    assert (await Appeal.get(id=pk)).text  # the body's record stays
    outcome = (await ErasureRequest.get(status="done")).outcome["appeals"]
    assert outcome["kept"] == 1 and outcome["pseudonymised"] >= 1
