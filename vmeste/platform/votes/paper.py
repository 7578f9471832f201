"""Paper and assisted ballots: an authorised operator records the ballot of an
identified person (at a polling station, at home for someone who cannot come).

Who may: an operator of an organization whose territory lies inside the vote's
territory (a school or a МФЦ of the municipality, for a regional vote), for the
residents of that organization's territory, and the regional administrators covering
the vote (federal configurators anywhere), for any of its voters. The
person must be known to the platform, since their eligibility is read from their
verified profile, as online. The same participation index as online makes a person's
ballot one, whichever channel came first: after a paper ballot the person cannot vote
online (nor revote), and after an online ballot no paper one is taken.

A paper ballot has a receipt too: the operator prints it for the voter. It carries no
voter key (it is never replaced), and it is audited as the operator's act on the vote,
without the voter or the content.
"""

from __future__ import annotations

from collections.abc import Sequence

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.participation import eligibility
from vmeste.platform.participation.eligibility import Facts
from vmeste.platform.reference.models import Organization
from vmeste.platform.runtime import Runtime
from vmeste.platform.votes.admission import (
    checked_content,
    require_open,
    rules_of,
    vote_of,
)
from vmeste.platform.votes.ballot_rows import Links, already_voted, insert_first
from vmeste.platform.votes.methods import Choice
from vmeste.platform.votes.models import Ballot, BallotChannel, Vote

#: Territory roles that record paper ballots for the whole of their subtree.
RECORDERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)


async def require_recorder(principal: Principal, vote: Vote) -> list[str] | None:
    """Where the caller records paper ballots of this vote: None for the whole vote
    (its regional administrators, federal configurators), else the territories of
    their operator organizations inside the vote's."""
    if principal.covers_territory(vote.territory_path, RECORDERS):
        return None
    bodies = sorted(principal.organization_ids((Role.OPERATOR,)))
    roots = [root for root in await Organization.filter(id__in=bodies).values_list(
        "territory__path", flat=True) if path_within(root, vote.territory_path)]
    if not roots:
        raise Forbidden(_("Paper ballots are recorded by operators of organizations in the "
                          "vote's territory and by its regional administrators"))
    return roots


def require_resident(roots: list[str] | None, facts: Facts) -> None:
    """An operator records the ballots of the residents of their organization's
    territory only: a school's operator does not vote for the whole region."""
    if roots is not None and not any(path_within(facts.territory_path, root)
                                     for root in roots):
        raise DomainError.of("voterSubject", _(
            "An operator records the ballots of residents of their organization's "
            "territory"), ErrorCode.FORBIDDEN)


async def _voter(principal: Principal, issuer: str | None, subject: str) -> User:
    own = principal.user
    issuer = (issuer or (own.issuer if own is not None else "")).strip()
    voter = await User.get_or_none(issuer=issuer, subject=subject.strip())
    if voter is None:
        raise DomainError.of("voterSubject", _("No such person is known to the platform"),
                             ErrorCode.NOT_FOUND)
    if own is not None and voter.id == own.id:
        raise DomainError.of("voterSubject", _("An operator does not record their own "
                             "ballot"), ErrorCode.INVALID)
    return voter


async def record_paper_ballot(runtime: Runtime, principal: Principal, vote_id: int,
                              voter_issuer: str | None, voter_subject: str,
                              choices: Sequence[Choice]) -> Ballot:
    """The paper ballot of the person ``voter_issuer``/``voter_subject`` (the issuer
    defaults to the operator's own), recorded by ``principal``."""
    require_authenticated(principal)
    vote = await vote_of(principal, vote_id)
    roots = await require_recorder(principal, vote)
    voter = await _voter(principal, voter_issuer, voter_subject)
    now = runtime.clock()
    require_open(vote, now)
    facts = await eligibility.facts_of(voter, rules_of(vote), now, runtime.settings.age_bands)
    require_resident(roots, facts)
    content = await checked_content(runtime.resolver, vote, facts, choices)
    ballot = await insert_first(vote, facts, content, BallotChannel.PAPER, now,
                                runtime.settings.tally_shards, Links(),
                                recorded_by=principal.actor)
    if ballot is None:
        raise already_voted(_("This person has already voted in this vote"), "voterSubject")
    return ballot
