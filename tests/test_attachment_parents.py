"""Files on hearing proposals (a participant's online, a letter's scans entered by staff)
and on incidents (staff's, with a draft answer): attached by the object's own step in
its transaction, with its audit record, shown to whoever may see the object (a
proposal's only to its uploader and the hearing's staff)."""

from __future__ import annotations

from typing import Any

from strawberry import relay

from tests.attachment_world import PDF, photo_with_gps, uploaded_id
from tests.incident_answer_world import incident, page
from tests.proposal_world import hearing, published
from tests.vote_world import voter
from tests.worlds import MUNICIPALITY_B, ORG_A, REGION_A, World, ok_data
from vmeste.platform.attachments.models import Attachment
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.hearings.models import ProposalChannel

FILE = "id name contentType downloadUrl thumbnailUrl"
SUBMIT = f"""mutation($input: SubmitHearingProposalInput!) {{ submitHearingProposal(
  input: $input) {{ proposal {{ id status attachments {{ {FILE} }} }}
  userErrors {{ field code }} }} }}"""
RECORD = f"""mutation($input: RecordHearingProposalInput!) {{ recordHearingProposal(
  input: $input) {{ proposal {{ id attachments {{ {FILE} }} }} userErrors {{ field code }} }} }}"""
PROPOSAL = f"""query($id: ID!) {{ node(id: $id) {{ ... on HearingProposal {{ number
  attachments {{ {FILE} }} }} }} }}"""
DRAFT = """mutation($id: ID!, $files: [ID!]) { draftIncidentReply(incidentId: $id,
  text: "Яму заделали, фото приложено.", attachmentIds: $files) { reply { status }
  userErrors { field code } } }"""
INCIDENT = f"""query($id: ID!) {{ node(id: $id) {{ ... on Incident {{
  attachments {{ {FILE} }} }} }} }}"""


async def test_a_proposal_shows_its_files_to_the_author_and_staff_only(
        world: World, db: Any, client: Any, graphql: Any, make_token: Any) -> None:
    row = await hearing()
    await published(row)
    author = await voter(db, "resident", oktmo=MUNICIPALITY_B)
    photo = await uploaded_id(client, author, photo_with_gps(), name="yard.jpg")

    sent = ok_data(await graphql(SUBMIT, {"input": {
        "hearingId": relay.to_base64("Hearing", row.id),
        "text": "Сохранить сквер у дома 5 вместо парковки.", "attachmentIds": [photo]}},
        token=author))["submitHearingProposal"]

    assert sent["userErrors"] == [] and sent["proposal"]["status"] == "PUBLISHED"
    [file] = sent["proposal"]["attachments"]
    assert (file["id"], file["name"], file["contentType"]) == (photo, "yard.jpg", "image/jpeg")
    proposal_pk = int(relay.GlobalID.from_id(sent["proposal"]["id"]).node_id)
    assert await AuditEvent.filter(action="attachment.attach", object_type="hearing_proposal",
                                   object_id=str(proposal_pk)).exists()
    public = ok_data(await graphql(PROPOSAL, {"id": sent["proposal"]["id"]}))["node"]
    assert public["number"] == 1 and public["attachments"] == []
    other = await voter(db, "neighbour", oktmo=MUNICIPALITY_B)
    theirs = ok_data(await graphql(PROPOSAL, {"id": sent["proposal"]["id"]}, token=other))
    assert theirs["node"]["attachments"] == []
    assert ok_data(await graphql("""query($id: ID!) { node(id: $id) { id } }""",
                                 {"id": photo}, token=other))["node"] is None
    staff = await make_token("regional_admin", territory=REGION_A)
    seen = ok_data(await graphql(PROPOSAL, {"id": sent["proposal"]["id"]}, token=staff))
    assert [f["id"] for f in seen["node"]["attachments"]] == [photo]
    assert ok_data(await graphql("""query($id: ID!) { node(id: $id) { id } }""",
                                 {"id": photo}, token=staff))["node"] == {"id": photo}
    assert (await client.get(seen["node"]["attachments"][0]["thumbnailUrl"])).status_code == 200


async def test_a_refused_file_leaves_no_proposal(world: World, db: Any, client: Any,
                                                 graphql: Any) -> None:
    row = await hearing()
    await published(row)
    author = await voter(db, "resident", oktmo=MUNICIPALITY_B)
    other = await voter(db, "other", oktmo=MUNICIPALITY_B)
    theirs = await uploaded_id(client, other, PDF)

    sent = ok_data(await graphql(SUBMIT, {"input": {
        "hearingId": relay.to_base64("Hearing", row.id), "text": "Против застройки.",
        "attachmentIds": [theirs]}}, token=author))["submitHearingProposal"]

    assert sent == {"proposal": None, "userErrors": [{"field": "attachmentIds",
                                                      "code": "NOT_FOUND"}]}
    assert await Attachment.filter(parent_id__isnull=False).count() == 0


async def test_staff_enter_a_letter_with_its_scan(world: World, client: Any, graphql: Any,
                                                  make_token: Any) -> None:
    row = await hearing()
    await published(row)
    staff = await make_token("regional_admin", territory=REGION_A)
    scan = await uploaded_id(client, staff, PDF, name="letter.pdf")

    entered = ok_data(await graphql(RECORD, {"input": {
        "hearingId": relay.to_base64("Hearing", row.id),
        "channel": ProposalChannel.WRITTEN.name, "text": "Прошу учесть мнение жильцов.",
        "participant": {"displayName": "Петрова А. А.", "participantClass": "RESIDENT"},
        "attachmentIds": [scan]}}, token=staff))["recordHearingProposal"]

    assert entered["userErrors"] == []
    assert [f["name"] for f in entered["proposal"]["attachments"]] == ["letter.pdf"]
    public = ok_data(await graphql(PROPOSAL, {"id": entered["proposal"]["id"]}))["node"]
    assert public["attachments"] == []


async def test_staff_attach_photos_to_an_incident_with_the_draft_answer(
        world: World, client: Any, graphql: Any, make_token: Any) -> None:
    official = await page(world, "vk", "11")
    row = await incident(world, official)
    executor = await make_token("executor", org=ORG_A, sub="ministry-executor")
    citizen = await make_token("citizen", sub="bystander")
    photo = await uploaded_id(client, executor, photo_with_gps(), name="done.jpg")
    incident_id = relay.to_base64("Incident", row.id)

    drafted = ok_data(await graphql(DRAFT, {"id": incident_id, "files": [photo]},
                                    token=executor))["draftIncidentReply"]

    assert drafted["userErrors"] == [] and drafted["reply"]["status"] == "DRAFT"
    seen = ok_data(await graphql(INCIDENT, {"id": incident_id}, token=executor))["node"]
    assert [f["id"] for f in seen["attachments"]] == [photo]
    assert (await client.get(seen["attachments"][0]["downloadUrl"])).status_code == 200
    assert ok_data(await graphql(INCIDENT, {"id": incident_id}, token=citizen))["node"] is None
    hidden = ok_data(await graphql("""query($id: ID!) { node(id: $id) { id } }""",
                                   {"id": photo}, token=citizen))["node"]
    assert hidden is None
    again = ok_data(await graphql(DRAFT, {"id": incident_id, "files": [photo]},
                                  token=executor))["draftIncidentReply"]
    assert again["userErrors"] == [{"field": "attachmentIds", "code": "NOT_FOUND"}]
