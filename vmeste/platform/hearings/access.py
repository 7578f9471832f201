"""Who may see and act on which hearing, procedure template and direct line.

Organisers of a hearing or a direct line are the administrators of its organising body
(``org_admin``), the regional administrators whose territory holds it, and federal
configurators; they create it, take its steps, record recommendations and generate its
documents. Operators of the organising body enter proposals made at the meeting or in
writing, and mark a line's questions answered on air (the studio). Moderators of the
territory moderate proposals and questions. Auditors read what organisers read, on
their territory. Everyone sees hearings and lines once announced (cancelled later or
not: one cancelled before it was announced stays a draft), and the published proposals
and questions.

Templates: federal configurators keep the federal defaults (the country's templates),
regional administrators those of their region; everyone may read them.
"""

from __future__ import annotations

from tortoise.expressions import Q

from vmeste.platform.authz import require_authenticated
from vmeste.platform.errors import Forbidden
from vmeste.platform.hearings.line_models import DirectLine, LineStatus
from vmeste.platform.hearings.models import Hearing, HearingStatus
from vmeste.platform.i18n import _
from vmeste.platform.identity.models import Role
from vmeste.platform.identity.principal import Principal
from vmeste.platform.reference.models import subtree

TERRITORY_ORGANISERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)
#: Who reads drafts and what moderation has not published, by territory.
TERRITORY_READERS = (*TERRITORY_ORGANISERS, Role.AUDITOR)
MODERATORS = (Role.MODERATOR, *TERRITORY_ORGANISERS)
TEMPLATE_KEEPERS = (Role.REGIONAL_ADMIN, Role.FEDERAL_CONFIGURATOR)


def within_scopes(principal: Principal, roles: tuple[Role, ...],
                  column: str = "territory_path") -> Q:
    """Rows whose territory lies in a subtree where the caller holds one of ``roles``."""
    condition = Q(id=-1)
    for root in principal.territory_scopes(roles):
        condition |= subtree(root, column)
    return condition


def of_organizations(principal: Principal, roles: tuple[Role, ...], column: str) -> Q:
    ids = principal.organization_ids(roles)
    return Q(**{f"{column}__in": sorted(ids)}) if ids else Q(id=-1)


def is_organiser(principal: Principal, path: str, organization_id: int) -> bool:
    return (principal.covers_territory(path, TERRITORY_ORGANISERS)
            or organization_id in principal.organization_ids((Role.ORG_ADMIN,)))


def is_reader(principal: Principal, path: str, organization_id: int) -> bool:
    """Organisers, the organising body's operators, and auditors over the territory."""
    return (is_organiser(principal, path, organization_id)
            or principal.covers_territory(path, (Role.AUDITOR,))
            or organization_id in principal.organization_ids((Role.OPERATOR,)))


def visible(principal: Principal, draft_status: str, organization_column: str,
            prefix: str = "", announced_column: str | None = None) -> Q:
    """Subjects out of draft, and drafts the caller reads (``prefix`` names the subject
    from another table, ``"hearing__"``). With ``announced_column``, a subject cancelled
    before it was ever announced (the column is still empty) stays a draft: cancelling
    must not publish what never was."""
    public = ~Q(**{f"{prefix}status": draft_status})
    if announced_column is not None:
        public &= ~Q(Q(**{f"{prefix}status": "cancelled"}),
                     Q(**{f"{prefix}{announced_column}__isnull": True}))
    return (public
            | within_scopes(principal, TERRITORY_READERS, f"{prefix}territory_path")
            | of_organizations(principal, (Role.ORG_ADMIN, Role.OPERATOR),
                               f"{prefix}{organization_column}"))


def public_hearing(hearing: Hearing) -> bool:
    """Whether everyone sees the hearing: announced, even if cancelled later (a hearing
    cancelled while still a draft stays a draft)."""
    return hearing.status != HearingStatus.DRAFT and not (
        hearing.status == HearingStatus.CANCELLED and hearing.notice_published_at is None)


def visible_hearings(principal: Principal, prefix: str = "") -> Q:
    """The hearings the caller sees, as a filter (:func:`public_hearing` for everyone)."""
    return visible(principal, HearingStatus.DRAFT, "organiser_id", prefix,
                   announced_column="notice_published_at")


def public_line(line: DirectLine) -> bool:
    """Whether everyone sees the line: announced, even if cancelled later (a line
    cancelled while still a draft stays a draft), as :func:`public_hearing`."""
    return line.status != LineStatus.DRAFT and not (
        line.status == LineStatus.CANCELLED and line.announced_at is None)


def visible_lines(principal: Principal) -> Q:
    """The lines the caller sees, as a filter (:func:`public_line` for everyone)."""
    return visible(principal, LineStatus.DRAFT, "organization_id",
                   announced_column="announced_at")


def require_organiser(principal: Principal, path: str, organization_id: int) -> None:
    require_authenticated(principal)
    if not is_organiser(principal, path, organization_id):
        raise Forbidden(_("Only the organising body's administrators, the regional "
                          "administrators of the territory and federal configurators "
                          "organise this"))


def require_staff(principal: Principal, path: str, organization_id: int) -> None:
    """Entering proposals made at the meeting or in writing; the studio's marks."""
    require_authenticated(principal)
    if not (is_organiser(principal, path, organization_id)
            or organization_id in principal.organization_ids((Role.OPERATOR,))):
        raise Forbidden(_("Only the organising body's staff do this"))


def require_moderator(principal: Principal, path: str) -> None:
    require_authenticated(principal)
    if not principal.covers_territory(path, MODERATORS):
        raise Forbidden(_("You are not assigned to moderate this territory"))


def require_reader(principal: Principal, path: str, organization_id: int) -> None:
    require_authenticated(principal)
    if not (is_reader(principal, path, organization_id)
            or principal.covers_territory(path, MODERATORS)):
        raise Forbidden(_("You may not read this"))


def require_template_keeper(principal: Principal, path: str) -> None:
    require_authenticated(principal)
    if not principal.covers_territory(path, TEMPLATE_KEEPERS):
        raise Forbidden(_("Only federal configurators keep the federal templates, and "
                          "regional administrators those of their region"))


def sees_every_question(principal: Principal, path: str, organization_id: int) -> bool:
    """The line staff, its auditors and the moderators of its territory see questions
    in every status (pending, rejected) and their moderation; others the published and
    merged ones, and their own."""
    return (is_reader(principal, path, organization_id)
            or principal.covers_territory(path, MODERATORS))


def visible_questions(principal: Principal, path: str, organization_id: int) -> Q:
    """The questions of one line the caller may read."""
    if sees_every_question(principal, path, organization_id):
        return Q()
    public = Q(status__in=("published", "merged"))
    return public | Q(author_id=principal.user.id) if principal.user is not None else public
