"""An incident made an appeal in one step: filed through the appeals intake on the
social channel on behalf of the post's author, idempotent, the incident APPEALED; the
appeal finds its posts again; who may file it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from starlette.applications import Starlette

from tests.incident_answer_world import (
    AUTHOR,
    VK_GROUP,
    Clock,
    incident,
    page,
    person,
    post,
    services_on,
    vk,
)
from tests.worlds import MUNICIPALITY_A, ORG_A, REGION_A, REGION_B, World
from vmeste.platform.appeals.intake import SubmitInput
from vmeste.platform.appeals.models import Appeal, AppealEvent, Channel
from vmeste.platform.appeals.notify import event_name
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.errors import DomainError, Forbidden
from vmeste.platform.identity.models import Role, User
from vmeste.platform.incidents import conversion
from vmeste.platform.incidents.models import Incident, IncidentEvent, IncidentStatus


async def test_an_incident_becomes_an_appeal_of_its_author(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    appeals = vmeste_app.state.runtime.service(AppealServices)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    await post(row, "vk", "9", "И ещё одна яма рядом", author="777")
    monitor = await person("monitor", Role.MODERATOR, territory=REGION_A)

    appeal = await conversion.to_appeal(services, monitor, row.id, appeals)
    assert (appeal.channel, appeal.category_id) == (Channel.SOCIAL,
                                                    world.categories["roads.pits"])
    applicant = await User.get(id=appeal.applicant_id)
    assert (applicant.issuer, applicant.subject) == ("social:vk", AUTHOR)
    assert appeal.text == ("Яма на улице Ленина у дома 5, машины бьют колёса\n"
                           "https://vk.com/wall-11_7\n\n"
                           "И ещё одна яма рядом\nhttps://vk.com/wall-11_9")
    submitted = await AppealEvent.get(appeal_id=appeal.id, action="submit")
    assert submitted.payload == {"channel": "social", "on_behalf": True}
    assert event_name("submit", submitted.to_status, submitted.payload) == "filed_on_behalf"
    converted = await Incident.get(id=row.id)
    assert (converted.status, converted.appeal_id) == (IncidentStatus.APPEALED, appeal.id)
    event = await IncidentEvent.get(incident_id=row.id, action="convert")
    assert event.payload == {"appeal_id": appeal.id}

    assert [p.post_ref for p in await conversion.posts_of_appeal(appeal.id)] == ["7", "9"]
    assert (await conversion.to_appeal(services, monitor, row.id, appeals)).id == appeal.id
    # A crash between the appeal and the incident's step: the intake's key answers.
    await Incident.filter(id=row.id).update(status=IncidentStatus.ROUTED, appeal_id=None)
    again = await conversion.to_appeal(services, monitor, row.id, appeals)
    assert again.id == appeal.id and await Appeal.all().count() == 1


async def test_an_operator_files_with_a_given_category_and_text(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    appeals = vmeste_app.state.runtime.service(AppealServices)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    operator = await person("operator", Role.OPERATOR, organization_id=world.organizations[ORG_A])
    appeal = await conversion.to_appeal(services, operator, row.id, appeals,
                                        category_code="snow", text="Не убирают снег")
    assert (appeal.category_id, appeal.text) == (world.categories["snow"], "Не убирают снег")
    assert await conversion.posts_of_appeal(appeal.id + 1) == []


async def test_who_may_file_an_incident_as_an_appeal(
        world: World, vmeste_app: Starlette) -> None:
    services = services_on(vmeste_app, vk(), Clock())
    appeals = vmeste_app.state.runtime.service(AppealServices)
    row = await incident(world, await page(world, "vk", VK_GROUP))
    executor = await person("executor", Role.EXECUTOR, organization_id=world.organizations[ORG_A])
    elsewhere = await person("far", Role.MODERATOR, territory=REGION_B)
    with pytest.raises(Forbidden):  # staff of the body, but not an operator
        await conversion.to_appeal(services, executor, row.id, appeals)
    with pytest.raises(Forbidden):
        await conversion.to_appeal(services, elsewhere, row.id, appeals)
    assert (await Incident.get(id=row.id)).status is IncidentStatus.ROUTED
    assert not await Appeal.exists()


async def test_the_social_channel_names_an_author_only_for_staff(
        world: World, vmeste_app: Starlette) -> None:
    appeals = vmeste_app.state.runtime.service(AppealServices)
    citizen = await person("citizen", Role.CITIZEN)
    named = SubmitInput(text="Яма", category_code="roads.pits", channel=Channel.SOCIAL,
                        territory_code=MUNICIPALITY_A, on_behalf_of_subject="501",
                        on_behalf_of_issuer="social:vk")
    with pytest.raises(Forbidden):
        await appeals.submit(citizen, named)
    far = await person("far", Role.MODERATOR, territory=REGION_B)
    with pytest.raises(Forbidden):
        await appeals.submit(far, named)
    with pytest.raises(DomainError):  # the portal channel still names nobody
        await appeals.submit(citizen, SubmitInput(
            text="Яма", category_code="roads.pits", channel=Channel.PORTAL,
            territory_code=MUNICIPALITY_A, on_behalf_of_subject="501"))
    own = await appeals.submit(citizen, SubmitInput(
        text="Яма", category_code="roads.pits", channel=Channel.SOCIAL,
        territory_code=MUNICIPALITY_A))
    assert own.applicant_id == citizen.user.id  # type: ignore[union-attr]
    near = await person("near", Role.MODERATOR, territory=REGION_A)
    for issuer in ("dev", None, "esia"):  # never a signed-in citizen's name
        with pytest.raises(DomainError) as refused:
            await appeals.submit(near, replace(named, on_behalf_of_issuer=issuer))
        assert refused.value.errors[0].field == "onBehalfOfIssuer"
    assert await Appeal.filter(channel=Channel.SOCIAL).count() == 1
