"""The rows bench/reads.py reads: the demo data set as ``vmeste demo`` loads it, the body
the README tour's appeal is routed to, a dev token of that body's operator, and a
hearing that body organises, in its exposition, with ``PROPOSALS`` proposals on its
draft (most published, some pending, most anchored to a section).

Run by the bench in a subprocess with the platform's environment (VMESTE_DEV_MODE=1,
VMESTE_DATABASE_URL of the bench database); prints one JSON line. The bulk copies that
give the body its ~2,000 appeals are plain SQL in bench/reads.py.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from vmeste.platform.appeals.demo import TOUR_CATEGORY, TOUR_TERRITORY, load_demo_appeals
from vmeste.platform.appeals.models import Channel
from vmeste.platform.appeals.router import request_for
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.db import connect
from vmeste.platform.hearings.drafts import VersionInput, add_version
from vmeste.platform.hearings.models import (
    Hearing,
    HearingKind,
    HearingParticipant,
    HearingStatus,
    ParticipantClass,
    ProcedureTemplate,
    Proposal,
    ProposalChannel,
    ProposalStatus,
)
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import SYSTEM
from vmeste.platform.reference.demo import load_demo_data
from vmeste.platform.reference.models import Organization, Territory
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import load_settings

PROPOSALS = 300
DRAFT = "\n".join(f"# {c}. Глава {c}\n" + "\n".join(
    f"{c}.{p}. Пункт {c}.{p} проекта правил землепользования и застройки." for p in range(1, 6))
    for c in range(1, 11))


async def hearing_for(body: Organization) -> int:
    """A hearing of ``body`` in its exposition, with its proposals written in bulk."""
    where = await Territory.get(id=body.territory_id)
    template = await ProcedureTemplate.create(
        code="bench", kind=HearingKind.PUBLIC_DISCUSSION, document_type="land_use_rules",
        title="Общественные обсуждения", territory_id=where.id, territory_path=where.path,
        created_by="bench")
    hearing = await Hearing.create(
        title="Проект правил землепользования", kind=HearingKind.PUBLIC_DISCUSSION,
        document_type="land_use_rules", template=template, territory_id=where.id,
        territory_path=where.path, organiser_id=body.id, status=HearingStatus.EXPOSITION,
        created_by="bench")
    version = await add_version(SYSTEM, hearing.id, VersionInput("Проект", DRAFT),
                                now=datetime.now(UTC))
    sections = [s.id for s in await version.sections.all().order_by("position")]
    classes = list(ParticipantClass)
    await HearingParticipant.bulk_create([HearingParticipant(
        hearing_id=hearing.id, display_name=f"Участник {n}", participant_class=classes[n % 3],
        channel=ProposalChannel.WRITTEN) for n in range(PROPOSALS)])
    authors = [p.id for p in await HearingParticipant.filter(hearing_id=hearing.id)]
    await Proposal.bulk_create([Proposal(
        hearing_id=hearing.id, number=n + 1, participant_id=authors[n],
        participant_class=classes[n % 3], version_id=version.id,
        section_id=sections[n % len(sections)] if n % 4 else None,
        quote="проекта правил" if n % 4 else "", text=f"Предложение {n + 1}: изменить зону.",
        channel=ProposalChannel.WRITTEN,
        status=ProposalStatus.PENDING if n % 10 == 9 else ProposalStatus.PUBLISHED)
        for n in range(PROPOSALS)])
    return hearing.id


async def prepare() -> dict[str, object]:
    settings = load_settings()
    async with connect(settings):
        runtime = build_runtime(settings)
        appeals = runtime.service(AppealServices)
        await load_demo_data()
        await load_demo_appeals(appeals)
        # The body demo_tokens gives the staff roles: where the tour's pothole goes.
        request = await request_for(category_code=TOUR_CATEGORY, territory_code=TOUR_TERRITORY,
                                    applicant_type="person", channel=Channel.PORTAL.value,
                                    on=datetime.now(UTC).date())
        decision = await appeals.router.route(request)
        if decision.organization_id is None:
            raise SystemExit(f"the demo rules route no {TOUR_CATEGORY} appeal to a body")
        body = await Organization.get(id=decision.organization_id)
        token = await issue_dev_token(settings, Role.OPERATOR, organization_ogrn=body.ogrn,
                                      profile=DevProfile(complete=True))
        hearing_id = await hearing_for(body)
    return {"body_id": body.id, "body_name": body.name, "token": token,
            "hearing_id": hearing_id}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(prepare()), ensure_ascii=False))
