"""An incident becomes an appeal, and an appeal finds the posts it came from.

When a problem needs more than an answer on the page (a formal appeal with its
statutory clocks, DESIGN §3), staff file it through the appeals intake
(:meth:`vmeste.platform.appeals.intake.Intake.submit`) on behalf of the first post's
author: the social channel, the author named by the network (issuer
``social:<network>``) and their id there, the posts' texts with their addresses as the
appeal's text, in the incident's category (or one given). So the appeal is moderated,
routed and registered like any other, and the author finds it when they sign in with
that network. The intake's idempotency key ``incident-<id>`` makes a second attempt
(a crash between the appeal and the incident's step, two operators at once) answer
with the first appeal; the incident becomes APPEALED with the appeal's id.
"""

from __future__ import annotations

from vmeste.platform.appeals.intake import TEXT_MAX, SubmitInput
from vmeste.platform.appeals.models import Appeal, Channel
from vmeste.platform.appeals.on_behalf import social_issuer
from vmeste.platform.appeals.services import AppealServices
from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import access
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import Incident, IncidentStatus, SocialPost
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.incidents.steps import INCIDENT_STEPS as STEPS
from vmeste.platform.reference.models import Category, Territory


def idempotency_key(incident_id: int) -> str:
    return f"incident-{incident_id}"


async def to_appeal(services: IncidentServices, principal: Principal, incident_id: int,
                    appeal_services: AppealServices, category_code: str | None = None,
                    text: str | None = None) -> Appeal:
    """The incident as an appeal (see the module's docstring); an incident already
    converted answers with its appeal."""
    incident = await Incident.get_or_none(id=incident_id)
    if incident is not None and incident.appeal_id is not None:
        await access.require_staff(principal, incident)
        return await Appeal.get(id=incident.appeal_id)
    incident = await STEPS.open(incident_id, Action.CONVERT,
                                lambda row: access.require_staff(principal, row))
    posts = await SocialPost.filter(incident_id=incident.id).order_by("posted_at", "id")
    if not posts or not posts[0].author_ref:
        raise DomainError.of("incidentId", _("The incident's author is unknown on the network"),
                             ErrorCode.INVALID)
    first = posts[0]
    code = category_code or await Category.filter(id=incident.category_id).first().values_list(
        "code", flat=True)
    if not code:
        raise DomainError.of("categoryCode", _("Choose the appeal's category"),
                             ErrorCode.REQUIRED)
    territory = await Territory.get(id=incident.territory_id)
    located = first.latitude is not None and first.longitude is not None
    appeal = await appeal_services.submit(principal, SubmitInput(
        text=(text or appeal_text(posts))[:TEXT_MAX], category_code=str(code),
        channel=Channel.SOCIAL, territory_code=territory.code,
        latitude=first.latitude if located else None,
        longitude=first.longitude if located else None,
        idempotency_key=idempotency_key(incident.id),
        on_behalf_of_subject=first.author_ref, on_behalf_of_issuer=social_issuer(first.network)))
    incident.appeal_id = appeal.id
    await STEPS.take(incident, principal.actor, Action.CONVERT, IncidentStatus.APPEALED,
                     payload={"appeal_id": appeal.id})
    return appeal


def appeal_text(posts: list[SocialPost]) -> str:
    """Each post's text followed by its address on the network, oldest first."""
    return "\n\n".join(f"{post.text.strip()}\n{post.url}".strip() for post in posts)


async def posts_of_appeal(appeal_id: int) -> list[SocialPost]:
    """The posts of the incident an appeal was filed from, oldest first (none for an
    appeal from elsewhere). The caller shows them only to whoever may see the appeal."""
    return await SocialPost.filter(incident__appeal_id=appeal_id).order_by("posted_at", "id")
