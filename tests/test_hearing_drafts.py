"""Draft versions: Markdown read into sections and numbered points, versions numbered and
hashed, published with the exposition, their history and audit; attached files stored
by hash, served to whoever may read their version."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from strawberry import relay

from tests.proposal_world import DRAFT, NOW, hearing, moved, published, sections_of
from tests.worlds import MUNICIPALITY_B, ORG_A, ORG_B, REGION_A, World, user_error_codes
from vmeste.platform.audit.models import AuditEvent
from vmeste.platform.errors import DomainError
from vmeste.platform.hearings.drafts import (
    VersionInput,
    add_version,
    canonical,
    publish_pending_versions,
)
from vmeste.platform.hearings.markdown import MAX_SOURCE_CHARS, Section, parse
from vmeste.platform.hearings.models import (
    DraftVersion,
    HearingAttachment,
    HearingEvent,
    HearingStatus,
)
from vmeste.platform.identity.principal import SYSTEM


def shape(source: str) -> list[tuple[int, str, str, str]]:
    return [(s.depth, s.number, s.heading, s.text) for s in parse(source)]


def test_headings_become_sections_and_numbered_paragraphs_points() -> None:
    assert shape(DRAFT) == [
        (1, "1", "Общие положения",
         "Настоящие правила землепользования и застройки устанавливают зоны."),
        (2, "1.1", "", "Правила применяются на всей территории города."),
        (2, "1.2", "", "Изменения вносятся в порядке, установленном законом."),
        (1, "2", "Градостроительные регламенты",
         "Для каждой зоны устанавливаются виды разрешённого использования."),
        (2, "1", "", "Жилая зона Ж-1: индивидуальные жилые дома высотой до трёх этажей."),
        (2, "2", "", "Общественно-деловая зона ОД-1."),
    ]


def test_nested_points_keep_their_numbers_and_go_one_level_down() -> None:
    # CommonMark: only a list starting at 1 may interrupt a paragraph, so a nested list
    # right under an item's first line starts at 1; later items keep their own numbers.
    source = """## Статья 3
3. Первый пункт
   1. вложенный, **выделено**
      1. ещё глубже
5. Второй пункт

   его второй абзац

- маркер списка
"""
    assert shape(source) == [
        (1, "", "Статья 3", ""),
        (2, "3", "", "Первый пункт"),
        (3, "1", "", "вложенный, выделено"),
        (4, "1", "", "ещё глубже"),
        (2, "5", "", "Второй пункт\n\nего второй абзац\n\n— маркер списка"),
    ]


def test_text_before_a_heading_is_a_preamble_and_deep_numbers_nest() -> None:
    assert shape("Преамбула акта.\n\n# Глава\n\n2.3.1. Пункт главы\n") == [
        (1, "", "", "Преамбула акта."), (1, "", "Глава", ""), (4, "2.3.1", "", "Пункт главы")]
    assert shape("# 2. Глава\n2.1. Пункт\n") == [(1, "2", "Глава", ""), (2, "2.1", "", "Пункт")]


@pytest.mark.parametrize("source", ["", "   \n\n", "\n"])
def test_an_empty_draft_is_refused(source: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse(source)
    assert [(e.field, e.code.value) for e in refused.value.errors] == [
        ("markdown", "REQUIRED")]


def test_a_huge_draft_is_refused_before_parsing() -> None:
    with pytest.raises(DomainError) as refused:
        parse("а" * (MAX_SOURCE_CHARS + 1))
    assert [(e.field, e.code.value) for e in refused.value.errors] == [("markdown", "INVALID")]


async def test_versions_are_numbered_hashed_and_published_with_the_exposition(
        world: World) -> None:
    row = await hearing(HearingStatus.NOTICE)
    first = await published(row)
    second = await add_version(SYSTEM, row.id, VersionInput("Проект, ред. 2", sections=[
        Section(1, "1", "Общие положения", "Текст"), Section(2, "1.1", "", "Пункт")]), now=NOW)
    assert (first.number, second.number) == (1, 2)
    assert first.published_at is None and first.source == DRAFT
    assert first.sha256 == hashlib.sha256(canonical("Проект", parse(DRAFT))).hexdigest()
    assert [(s.depth, s.number, s.heading) for s in await sections_of(second)] == [
        (1, "1", "Общие положения"), (2, "1.1", "")]
    events = await HearingEvent.filter(hearing_id=row.id).order_by("id")
    assert [(e.action, e.from_status, e.to_status, e.payload["version"]) for e in events] == [
        ("add_version", "notice", "notice", 1), ("add_version", "notice", "notice", 2)]
    assert await AuditEvent.filter(action="hearing.add_version").count() == 2
    assert await publish_pending_versions_now(row.id) == 2
    await moved(row, HearingStatus.EXPOSITION)
    third = await published(row)
    assert third.number == 3 and third.published_at is not None


async def publish_pending_versions_now(hearing_id: int) -> int:
    from tortoise.transactions import in_transaction

    async with in_transaction() as conn:
        return await publish_pending_versions(conn, hearing_id, NOW)


@pytest.mark.parametrize("status", [HearingStatus.PROTOCOL, HearingStatus.PUBLISHED,
                                    HearingStatus.CANCELLED])
async def test_no_version_once_proposals_end(world: World, status: HearingStatus) -> None:
    row = await hearing(status)
    with pytest.raises(DomainError) as refused:
        await published(row)
    assert refused.value.errors[0].code.value == "ILLEGAL_TRANSITION"
    assert not await DraftVersion.exists()


ADD = """mutation($input: AddHearingDraftVersionInput!) { addHearingDraftVersion(input: $input) {
  version { number title sha256 publishedAt sections { position depth number heading text } }
  userErrors { field code } } }"""
ATTACH = """mutation($input: AddHearingAttachmentInput!) { addHearingAttachment(input: $input) {
  attachment { id name contentType size sha256 url } userErrors { field code } } }"""
DRAFT_Q = """query($h: ID!, $v: Int) { hearingDraft(hearingId: $h, version: $v) { number
  sections { number heading } attachments { name url } } }"""
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def gid(row: Any) -> str:
    return relay.to_base64("Hearing", row.id)


async def test_organisers_add_versions_over_graphql_and_others_are_refused(
        world: World, graphql: Any, make_token: Any) -> None:
    row = await hearing(HearingStatus.EXPOSITION)
    admin = await make_token("org_admin", org=ORG_A)
    stranger = await make_token("org_admin", org=ORG_B)
    variables = {"input": {"hearingId": gid(row), "title": "Проект", "markdown": DRAFT}}
    refused = (await graphql(ADD, variables, token=stranger))["data"]["addHearingDraftVersion"]
    assert user_error_codes(refused) == ["FORBIDDEN"]
    done = (await graphql(ADD, variables, token=admin))["data"]["addHearingDraftVersion"]
    assert done["userErrors"] == [] and done["version"]["number"] == 1
    assert done["version"]["publishedAt"] is not None
    assert done["version"]["sections"][1] == {"position": 1, "depth": 2, "number": "1.1",
                                              "heading": "", "text": "Правила применяются "
                                              "на всей территории города."}
    both = {"input": {**variables["input"], "sections": [{"heading": "А"}]}}
    assert [(e["field"], e["code"]) for e in (await graphql(ADD, both, token=admin))[
        "data"]["addHearingDraftVersion"]["userErrors"]] == [("markdown", "INVALID")]


async def test_attachments_are_stored_by_hash_and_served_as_their_version_is_read(
        world: World, graphql: Any, make_token: Any, client: Any, db: Any) -> None:
    row = await hearing(HearingStatus.NOTICE)
    version = await published(row)
    admin = await make_token("regional_admin", territory=REGION_A)
    citizen = await make_token("citizen", sub="reader")
    upload = {"hearingId": gid(row), "versionId": version.id, "name": "../Карта зон.pdf",
              "contentType": "application/pdf",
              "contentBase64": base64.b64encode(PDF).decode()}
    done = (await graphql(ATTACH, {"input": upload}, token=admin))["data"][
        "addHearingAttachment"]
    assert done["userErrors"] == [], done
    attachment = done["attachment"]
    digest = hashlib.sha256(PDF).hexdigest()
    assert (attachment["name"], attachment["size"], attachment["sha256"]) == (
        ".._Карта зон.pdf", len(PDF), digest)
    assert (db.data_dir / "hearings" / digest[:2] / digest).read_bytes() == PDF
    assert (await client.get(attachment["url"])).status_code == 404  # not published yet
    own = await client.get(attachment["url"], headers={"Authorization": f"Bearer {admin}"})
    assert own.status_code == 200 and own.content == PDF
    assert own.headers["content-type"] == "application/pdf"
    assert own.headers["cache-control"].startswith("private")
    await publish_pending_versions_now(row.id)
    public = await client.get(attachment["url"], headers={"Authorization": f"Bearer {citizen}"})
    assert public.status_code == 200 and public.headers["etag"] == f'"{digest}"'
    again = await client.get(attachment["url"], headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    assert (await client.get("/hearings/attachments/999999")).status_code == 404
    read = (await graphql(DRAFT_Q, {"h": gid(row), "v": 1}, token=citizen))["data"]
    assert read["hearingDraft"]["attachments"] == [{"name": ".._Карта зон.pdf",
                                                     "url": attachment["url"]}]
    assert await HearingAttachment.filter(sha256=digest).count() == 1
    assert await AuditEvent.filter(action="hearing.add_attachment").count() == 1


@pytest.mark.parametrize(("content_type", "data", "field"), [
    ("text/html", PDF, "contentType"),
    ("image/png", PDF, "contentBase64"),  # the content is not a PNG
    ("application/pdf", b"", "contentBase64"),
])
async def test_attachments_of_other_types_or_contents_are_refused(
        world: World, graphql: Any, make_token: Any, content_type: str, data: bytes,
        field: str) -> None:
    row = await hearing(HearingStatus.EXPOSITION)
    admin = await make_token("regional_admin", territory=REGION_A)
    body = await graphql(ATTACH, {"input": {
        "hearingId": gid(row), "name": "f", "contentType": content_type,
        "contentBase64": base64.b64encode(data).decode()}}, token=admin)
    assert [e["field"] for e in body["data"]["addHearingAttachment"]["userErrors"]] == [field]
    assert not await HearingAttachment.exists()


async def test_an_attachment_over_the_limit_is_refused(
        world: World, make_token: Any, app_client: Any) -> None:
    row = await hearing(HearingStatus.EXPOSITION, territory=MUNICIPALITY_B, organiser=ORG_B)
    admin = await make_token("org_admin", org=ORG_B)
    async with app_client(hearing_attachment_max_bytes=1024) as (_app, graphql):
        body = await graphql(ATTACH, {"input": {
            "hearingId": gid(row), "name": "big.pdf", "contentType": "application/pdf",
            "contentBase64": base64.b64encode(PDF + b"0" * 2000).decode()}}, token=admin)
    assert [(e["field"], e["code"]) for e in body["data"]["addHearingAttachment"][
        "userErrors"]] == [("contentBase64", "INVALID")]


async def test_a_draft_hearing_and_unpublished_versions_are_hidden_from_the_public(
        world: World, graphql: Any, make_token: Any) -> None:
    row = await hearing(HearingStatus.DRAFT)
    await published(row)
    auditor = await make_token("auditor", territory=REGION_A)
    assert (await graphql(DRAFT_Q, {"h": gid(row), "v": None}))["data"]["hearingDraft"] is None
    seen = (await graphql(DRAFT_Q, {"h": gid(row), "v": None}, token=auditor))["data"]
    assert seen["hearingDraft"]["sections"][0] == {"number": "1", "heading": "Общие положения"}
