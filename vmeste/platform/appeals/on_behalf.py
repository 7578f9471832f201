"""An operator files an appeal for a citizen (after a phone call, at a reception desk),
and staff file one for the author of a social-network post (an incident made an
appeal): the ``social`` channel with a named author, open to operators and to the
region's monitoring staff (moderators, regional administrators), the author named by
the network (issuer ``social:<network>``) and their id there. A citizen's own appeal
on the social channel names nobody and is theirs as before. On the operator channel, a
caller without an identity they can name is known by the details they gave instead
(``SubmitAppealInput.contact``, :mod:`vmeste.platform.appeals.contacts`) and claims the
appeal later with a code. An Open311 client application files every request on the
``open311`` channel for its own user: the application signs in as itself (a row under
the issuer ``open311``, see ``vmeste.platform.open311``) and names its user under an
issuer of its own (``open311:<client>``), so a client names nobody but its own users,
and nobody who signs in through an identity provider.

Three rules keep the channel from being a way to write in anyone's name:

* an operator files only within the territory of their own body (the appeal's
  territory in the subtree of an organization where they hold the operator role), a
  monitor only within the territory they monitor;
* the answer never tells whether the named citizen is known to the platform: an
  unknown issuer and subject become a user row, just as that person's first sign-in
  would create it, so a known and an unknown citizen get the same success; the
  citizen finds the appeal when they sign in;
* the named citizen's history never shows in the answer: moderation judges the text
  alone on this channel, and an operator is not shown the profile of the citizen they
  filed for (``Appeal.applicant`` is null for a viewer who is only an operator there);
* the citizen is told: the submission's notification event is ``filed_on_behalf``
  instead of ``submitted`` (see ``appeals/notify.py``), and they may withdraw.

The operator, an identified official, vouches for whom they write for, so the region's
"verified accounts only" setting (547-ФЗ) and the hourly quota apply to citizens
writing themselves, not to appeals filed on someone's behalf: otherwise the refusal
would tell a verified account from an unknown one.
"""

from __future__ import annotations

from vmeste.platform.appeals.access import REGIONAL_ACTORS
from vmeste.platform.appeals.models import Channel
from vmeste.platform.errors import DomainError, ErrorCode, Forbidden
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role, User
from vmeste.platform.identity.principal import Principal, path_within
from vmeste.platform.reference.models import Organization, Territory

#: Longest issuer or subject accepted (the user table's columns).
IDENTIFIER_MAX = 255
#: The issuers of social networks' authors (``social:vk``): no identity provider's.
SOCIAL_ISSUER_PREFIX = "social:"
#: The issuer of Open311 client applications' own rows (the subject is the client).
OPEN311_CLIENT_ISSUER = "open311"


def files_on_behalf(channel: Channel, subject: str | None) -> bool:
    """The operator and Open311 channels always write for someone; the social channel
    when it names the post's author."""
    return channel in (Channel.OPERATOR, Channel.OPEN311) or (
        channel == Channel.SOCIAL and bool(subject))


def social_issuer(network: str) -> str:
    """The issuer a social network's authors are named under: never an identity
    provider's, so the social channel cannot write in a signed-in citizen's name."""
    return f"{SOCIAL_ISSUER_PREFIX}{network}"


def open311_issuer(client: str) -> str:
    """The issuer an Open311 client's users are named under (``open311:<client>``)."""
    return f"{OPEN311_CLIENT_ISSUER}:{client}"


def check_submitter(principal: Principal, channel: Channel, subject: str | None,
                    issuer: str | None = None, *, contact: bool = False) -> None:
    """What can be refused before any reference is read. On the operator channel the
    applicant is named by subject, or known only by the ``contact`` details given."""
    if principal.user is None:
        raise DomainError.of(None, _("Sign in to send an appeal"),
                             ErrorCode.UNAUTHENTICATED)
    if contact and channel != Channel.OPERATOR:
        raise DomainError.of("contact", _("An applicant's details are recorded on the "
                                          "operator channel only"))
    if channel == Channel.OPEN311 or principal.user.issuer == OPEN311_CLIENT_ISSUER:
        _check_open311(principal.user, channel, subject, issuer)
        return
    if (issuer or "").strip().startswith(OPEN311_CLIENT_ISSUER):
        # A client application's users (and the applications themselves) are named by
        # their client only: an operator naming one would write in a client's name.
        raise DomainError.of("onBehalfOfIssuer", _("Open311 issuers are named by Open311 "
                                                   "client applications only"))
    if not files_on_behalf(channel, subject):
        if subject:
            raise DomainError.of("onBehalfOf", _("Only an operator writes on an applicant's "
                                   "behalf (the operator channel)"))
        return
    operator = bool(principal.organization_ids((Role.OPERATOR,)))
    if channel == Channel.OPERATOR and not operator:
        raise Forbidden(_("The operator channel is for operators only"))
    if channel == Channel.SOCIAL and not (operator or principal.territory_scopes(REGIONAL_ACTORS)):
        raise Forbidden(_("A post's author is named by operators and the region's "
                          "monitoring staff only"))
    if (not subject and not contact) or (subject and not subject.strip()):
        raise DomainError.of("onBehalfOf", _("Name the applicant"), ErrorCode.REQUIRED)
    if channel == Channel.SOCIAL and not (issuer or "").startswith(SOCIAL_ISSUER_PREFIX):
        raise DomainError.of("onBehalfOfIssuer", _("A post's author is named by the network "
                                                   "(social:<network>)"))


def _check_open311(filer: User, channel: Channel, subject: str | None,
                   issuer: str | None) -> None:
    """Only a client application uses the Open311 channel, only that channel, and only
    for users named under its own issuer."""
    if filer.issuer != OPEN311_CLIENT_ISSUER or channel != Channel.OPEN311:
        raise Forbidden(_("The Open311 channel is for Open311 client applications only"))
    if not subject or not subject.strip():
        raise DomainError.of("onBehalfOf", _("Name the applicant"), ErrorCode.REQUIRED)
    if issuer != open311_issuer(filer.subject):
        raise DomainError.of("onBehalfOfIssuer", _("An Open311 client names its own users "
                                                   "only"))


async def require_scope(principal: Principal, channel: Channel, territory: Territory
                        ) -> None:
    """The filer's territory covers the appeal's (see the module's docstring); an
    Open311 client files anywhere, as a citizen may."""
    if channel == Channel.OPEN311:
        return
    if channel == Channel.SOCIAL and principal.covers_territory(territory.path, REGIONAL_ACTORS):
        return
    await require_operator_scope(principal, territory)


async def require_operator_scope(principal: Principal, territory: Territory) -> None:
    bodies = sorted(principal.organization_ids((Role.OPERATOR,)))
    roots = await Organization.filter(id__in=bodies).values_list("territory__path", flat=True)
    if not any(path_within(territory.path, root) for root in roots):
        raise Forbidden(_("An operator files appeals only within their organization's "
                        "territory"))


async def applicant(principal: Principal, subject: str, issuer: str | None) -> User:
    """The citizen named by the operator, created when not yet known (see above)."""
    assert principal.user is not None
    subject, issuer = subject.strip(), (issuer or principal.user.issuer).strip()
    if len(subject) > IDENTIFIER_MAX or len(issuer) > IDENTIFIER_MAX or not issuer:
        raise DomainError.of("onBehalfOf", _("The applicant's identifier is 1 to {limit} "
                               "characters", limit=IDENTIFIER_MAX), ErrorCode.INVALID)
    if (issuer, subject) == (principal.user.issuer, principal.user.subject):
        # Writing for oneself through the operator channel would skip the checks that
        # apply to citizens (the hourly quota, verified accounts only).
        raise DomainError.of("onBehalfOf", _("An operator does not file appeals in their own name"),
                             ErrorCode.INVALID)
    user, _created = await User.get_or_create(issuer=issuer, subject=subject)
    return user
