"""The rows bench/reads.py reads: the demo data set as ``vmeste demo`` loads it, the body
the README tour's appeal is routed to, and a dev token of that body's operator.

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
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role
from vmeste.platform.reference.demo import load_demo_data
from vmeste.platform.reference.models import Organization
from vmeste.platform.runtime import build_runtime
from vmeste.platform.settings import load_settings


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
    return {"body_id": body.id, "body_name": body.name, "token": token}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(prepare()), ensure_ascii=False))
