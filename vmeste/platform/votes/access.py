"""Who may see, organise and read the results of which vote.

Votes are public once they leave the draft: anyone, signed in or not, sees an open,
closed or published vote. Drafts and templates are the organisers' work: regional
administrators over the vote's territory and federal configurators (anywhere) organise
votes, and auditors over the territory read them. A template is also seen by the
organisers and auditors below it, who instantiate it for their own territory (the urban
vote: a federal campaign, regional lists, municipal options).
"""

from __future__ import annotations

from tortoise.expressions import Q

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.reference.models import PATH_SEPARATOR, subtree
from vmeste.platform.votes.models import Vote, VoteStatus

ORGANISERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)
READERS = (*ORGANISERS, Role.AUDITOR)


def _ancestors(path: str) -> list[str]:
    """``path`` and every path above it, from the root."""
    codes = path.split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(codes[:depth]) for depth in range(1, len(codes) + 1)]


def _public(prefix: str = "") -> Q:
    return Q(**{f"{prefix}is_template": False}) & ~Q(**{f"{prefix}status": VoteStatus.DRAFT})


def visible_votes(principal: Principal, prefix: str = "") -> Q:
    """The votes the caller may read: the public ones, and the drafts and templates of
    their scope (templates above it too). The one definition behind ``vote(id:)``,
    ``votes``, ``node(id:)`` and the compiled read plans; :func:`may_see` is its
    per-row twin. ``prefix`` names the vote from another table (``"vote__"``)."""
    if principal.system:
        return Q()
    scopes = principal.territory_scopes(READERS)
    if "" in scopes:
        return Q()
    found = [_public(prefix)]
    for scope in scopes:
        found.append(subtree(scope, f"{prefix}territory_path"))
        found.append(Q(**{f"{prefix}is_template": True,
                          f"{prefix}territory_path__in": _ancestors(scope)}))
    return Q(*found, join_type=Q.OR)


def may_see(principal: Principal, vote: Vote) -> bool:
    """:func:`visible_votes` for one vote already read (a vote's template, say)."""
    if (not vote.is_template and vote.status != VoteStatus.DRAFT) or principal.system:
        return True
    scopes = principal.territory_scopes(READERS)
    return any(path_within(vote.territory_path, scope)
               or (vote.is_template and path_within(scope, vote.territory_path))
               for scope in scopes)


def organises(principal: Principal, territory_path: str) -> bool:
    return principal.system or principal.covers_territory(territory_path, ORGANISERS)


def require_organiser_at(principal: Principal, territory_path: str) -> None:
    """A vote of this territory may be created or run by the caller."""
    require_authenticated(principal)
    if not organises(principal, territory_path):
        raise Forbidden(_("Votes of this territory are organised by its regional "
                          "administrators"))


def require_some_organiser(principal: Principal) -> None:
    """The caller organises votes somewhere: checked before anything of the request is
    looked up, so a caller who organises nothing learns nothing from the answer."""
    require_authenticated(principal)
    if not principal.system and not principal.territory_scopes(ORGANISERS):
        raise Forbidden(_("Votes are organised by regional administrators"))


def require_organiser(principal: Principal, vote: Vote) -> None:
    require_organiser_at(principal, vote.territory_path)


def may_read_results(principal: Principal, vote: Vote) -> bool:
    """Published results are everyone's; before that, only the organisers and auditors
    over the vote see them (the count so far would sway the voters)."""
    return (vote.status == VoteStatus.RESULTS_PUBLISHED or principal.system
            or principal.covers_territory(vote.territory_path, READERS))
