"""A citizen with something in every component, for the data-rights tests: an appeal
with its history, a notification, a ballot in an open vote, a poll-free profile."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.ballot_world import CAST, cast_input
from tests.vote_world import draft_vote
from tests.worlds import MUNICIPALITY_A, ok_data
from vmeste.platform.appeals.models import Appeal
from vmeste.platform.identity.dev_issuer import DEV_ISSUER
from vmeste.platform.identity.dev_tokens import DevProfile, issue_dev_token
from vmeste.platform.identity.models import Role, User
from vmeste.platform.notifications.models import Notification, NotificationStatus
from vmeste.platform.votes.models import Vote
from vmeste.testing import GraphQLClient

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SUBJECT = "privacy-citizen"
EMAIL = "razumovskaya@example.org"
TEXT = "Во дворе дома 5 большая яма, машины не могут проехать."
EXPORT = "mutation { requestDataExport { dataExport { id status } userErrors { code } } }"
EXPORTS = ("{ myDataExports { totalCount edges { node { id status sections downloadUrl "
           "sha256 size } } } }")
ERASE = ("mutation($c: Boolean!) { requestErasure(input: {confirm: $c}) { erasureRequest "
         "{ id status executeAfter } userErrors { field code } } }")
CANCEL = ("mutation($id: ID!) { cancelErasure(id: $id) { erasureRequest { id status } "
          "userErrors { field code } } }")
ERASURES = "{ myErasureRequests { edges { node { id status executeAfter outcome } } } }"


@dataclass
class Citizen:
    token: str
    user: User
    appeal: Appeal
    vote: Vote
    receipt: str


async def citizen(settings: Any, graphql: GraphQLClient, submit_appeal: Any,
                  vote_closes: datetime | None = None) -> Citizen:
    token = await issue_dev_token(settings, Role.CITIZEN, subject=SUBJECT, profile=DevProfile(
        email=EMAIL, address_oktmo=MUNICIPALITY_A, birthdate=date(1985, 5, 5)))
    vote = await draft_vote(closes_at=vote_closes or NOW + timedelta(days=1))
    options = await vote.options.all().order_by("position").values_list("id", flat=True)
    cast = ok_data(await graphql(CAST, cast_input(vote, options[0]), token=token))
    appeal = await submit_appeal(category="roads.pits", territory=MUNICIPALITY_A,
                                 citizen=SUBJECT, text=TEXT)
    user = await User.get(issuer=DEV_ISSUER, subject=SUBJECT)
    await Notification.create(dedupe_key="privacy:1", event="routed", channel="email",
                              recipient=user, address=EMAIL, subject_type="appeal",
                              subject_id=appeal.id, subject="Обращение", body="Направлено",
                              status=NotificationStatus.SENT)
    return Citizen(token, user, appeal, vote, cast["castBallot"]["ballot"]["receipt"])


def unzip(body: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}
