"""The monitoring staff's corrections of the processing batch: merging incidents about
one problem, and splitting posts out of one that mixes two.

A merge moves every post of the sources to the target; each source becomes MERGED
with ``merged_into`` (and what was merged into it earlier now points at the target),
so links to it still lead somewhere. Every post keeps its network id and is only
re-pointed, so a merge is undone by splitting the same posts out again: they make a
new incident (a MERGED one never reopens, since its SLA and history ended there),
whose CREATE event names the incident it came from. Counts, first and last post and
the lemma bag are recomputed from the posts each side keeps.

Both steps lock every incident involved in ascending id (as the processing batch
does, so none of them deadlocks with another), check the caller may monitor each
one's territory and that each is open, and write rows, events and outbox messages in
one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from vmeste.platform.errors import DomainError, ErrorCode
from vmeste.platform.i18n import _, translate
from vmeste.platform.identity.principal import Principal
from vmeste.platform.incidents import access, similarity
from vmeste.platform.incidents.lifecycle import Action
from vmeste.platform.incidents.models import Incident, IncidentStatus, SocialPost
from vmeste.platform.incidents.steps import INCIDENT_STEPS
from vmeste.platform.row_locks import for_update

#: The most incidents merged into one at once.
MERGE_MAX = 50


async def _locked(conn: BaseDBAsyncClient, principal: Principal, field: str,
                  incident_id: int, action: Action) -> Incident:
    row = await for_update(conn, Incident.filter(id=incident_id))
    if row is None:
        raise DomainError.of(field, translate(INCIDENT_STEPS.not_found), ErrorCode.NOT_FOUND)
    access.require_monitor(principal, row.territory_path)
    INCIDENT_STEPS.require(action, row)
    return row


def _recount(row: Incident, posts: Sequence[SocialPost]) -> None:
    """The incident's counts, first and last post and lemmas from the posts it keeps."""
    row.post_count = len(posts)
    row.first_posted_at = min(p.posted_at for p in posts)
    row.last_posted_at = max(p.posted_at for p in posts)
    row.lemmas = similarity.bag(p.text for p in posts)


async def merge(principal: Principal, target_id: int, source_ids: Sequence[int],
                reason: str = "") -> Incident:
    """The sources' posts join the target; an ABSORB event on the target and a MERGE
    event on each source, each naming the posts moved."""
    sources = sorted(set(source_ids))
    if target_id in sources:
        raise DomainError.of("sourceIds", _("An incident cannot be merged into itself"),
                             ErrorCode.INVALID)
    if not sources:
        raise DomainError.of("sourceIds", _("Name the incidents to merge into the target"),
                             ErrorCode.REQUIRED)
    if len(sources) > MERGE_MAX:
        raise DomainError.of("sourceIds", _("At most {limit} incidents at once",
                                            limit=MERGE_MAX))
    async with in_transaction() as conn:
        rows: dict[int, Incident] = {}
        for pk in sorted([target_id, *sources]):
            rows[pk] = await _locked(conn, principal, "targetId" if pk == target_id else
                                     "sourceIds", pk,
                                     Action.ABSORB if pk == target_id else Action.MERGE)
        target = rows[target_id]
        kept = list(await SocialPost.filter(incident_id=target_id).using_db(conn))
        for pk in sources:
            source = rows[pk]
            moved = list(await SocialPost.filter(incident_id=pk).using_db(conn).order_by("id"))
            ids = [p.id for p in moved]
            await SocialPost.filter(id__in=ids).using_db(conn).update(incident_id=target_id)
            await Incident.filter(merged_into_id=pk).using_db(conn).update(
                merged_into_id=target_id)
            source.merged_into_id, source.post_count = target_id, 0
            await INCIDENT_STEPS.move(conn, source, principal.actor, Action.MERGE,
                                      IncidentStatus.MERGED, reason=reason,
                                      payload={"target_id": target_id, "post_ids": ids})
            kept += moved
            if kept:
                _recount(target, kept)
            if target.official_page_id is None:  # answered from a source's page then
                target.official_page_id = source.official_page_id
            await INCIDENT_STEPS.move(conn, target, principal.actor, Action.ABSORB,
                                      target.status, reason=reason,
                                      payload={"source_id": pk, "post_ids": ids})
    return target


async def split(principal: Principal, incident_id: int, post_ids: Sequence[int],
                reason: str = "") -> Incident:
    """The posts leave into a new incident of the same territory and topic (NEW, its
    SLA counting from when the source was registered, since the platform knew of
    these posts since then); a CREATE event naming the source on it, a SPLIT event on
    the source."""
    wanted = sorted(set(post_ids))
    if not wanted:
        raise DomainError.of("postIds", _("Name the posts to split out"), ErrorCode.REQUIRED)
    async with in_transaction() as conn:
        source = await _locked(conn, principal, "id", incident_id, Action.SPLIT)
        posts = list(await SocialPost.filter(incident_id=incident_id).using_db(conn).order_by(
            "id"))
        have = {p.id for p in posts}
        missing = [pk for pk in wanted if pk not in have]
        if missing:
            raise DomainError.of("postIds", _("Post {id} is not in the incident",
                                              id=missing[0]), ErrorCode.NOT_FOUND)
        moving = [p for p in posts if p.id in set(wanted)]
        staying = [p for p in posts if p.id not in set(wanted)]
        if not staying:
            raise DomainError.of("postIds", _("Splitting out every post would leave the "
                                              "incident empty"), ErrorCode.INVALID)
        new = Incident(status=IncidentStatus.NEW, topic=source.topic,
                       topic_confidence=source.topic_confidence,
                       territory_id=source.territory_id, territory_path=source.territory_path,
                       official_page_id=source.official_page_id, rule_id=source.rule_id,
                       registered_at=source.registered_at, registered_on=source.registered_on,
                       next_check_at=source.registered_at)
        _recount(new, moving)
        await new.save(using_db=conn)
        await SocialPost.filter(id__in=wanted).using_db(conn).update(incident_id=new.id)
        await INCIDENT_STEPS.record(conn, new, principal.actor, Action.CREATE, None,
                                    new.status, reason=reason,
                                    payload={"source_id": source.id, "post_ids": wanted})
        _recount(source, staying)
        await INCIDENT_STEPS.move(conn, source, principal.actor, Action.SPLIT, source.status,
                                  reason=reason, payload={"new_id": new.id, "post_ids": wanted})
    return new
