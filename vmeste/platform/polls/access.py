"""Who may see and act on which poll.

Organisers are the regional administrators whose territory holds the poll and the
federal configurators (whose territory is the country); they create, open, close and
publish polls, read drafts and results before publication, and moderate free-text
answers. Auditors read what organisers read, on their territory. Moderators of the
territory moderate the free-text answers. Everyone, anonymous callers included, sees
polls once they are out of draft, and their results once published.
"""

from __future__ import annotations

from tortoise.expressions import Q

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.polls.models import Poll, PollStatus
from vmeste.platform.reference.models import subtree

ORGANISERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)
#: Who reads drafts, results before publication and the moderation queue.
READERS = (*ORGANISERS, Role.AUDITOR)
MODERATORS = (Role.MODERATOR, *ORGANISERS)


def within_scopes(principal: Principal, roles: tuple[Role, ...],
                  column: str = "territory_path") -> Q:
    """Rows whose territory lies in a subtree where the caller holds one of ``roles``."""
    condition = Q(id=-1)
    for root in principal.territory_scopes(roles):
        condition |= subtree(root, column)
    return condition


def visible_polls(principal: Principal, prefix: str = "") -> Q:
    """Polls out of draft, and drafts on the caller's territory as a reader; ``prefix``
    names the poll from another table (``"poll__"``)."""
    return ~Q(**{f"{prefix}status": PollStatus.DRAFT}) | within_scopes(
        principal, READERS, f"{prefix}territory_path")


def is_organiser(principal: Principal, path: str) -> bool:
    return principal.covers_territory(path, ORGANISERS)


def require_organiser(principal: Principal, path: str) -> None:
    """Creating a poll on ``path``, or a step of a poll there."""
    require_authenticated(principal)
    if not is_organiser(principal, path):
        raise Forbidden(_("Only the regional administrators of the poll's territory and "
                          "federal configurators organise polls"))


def may_read_results(principal: Principal, poll: Poll) -> bool:
    return (poll.status == PollStatus.RESULTS_PUBLISHED
            or principal.covers_territory(poll.territory_path, READERS))


def require_results(principal: Principal, poll: Poll) -> None:
    if may_read_results(principal, poll):
        return
    require_authenticated(principal)
    raise Forbidden(_("The results are not published yet"))


def require_moderator(principal: Principal, poll: Poll) -> None:
    require_authenticated(principal)
    if not principal.covers_territory(poll.territory_path, MODERATORS):
        raise Forbidden(_("You are not assigned to moderate this territory's polls"))


def require_moderation_reader(principal: Principal, poll: Poll) -> None:
    """The moderation queue: moderators, organisers and auditors of the territory."""
    require_authenticated(principal)
    if not principal.covers_territory(poll.territory_path, (*MODERATORS, Role.AUDITOR)):
        raise Forbidden(_("You are not assigned to moderate this territory's polls"))
