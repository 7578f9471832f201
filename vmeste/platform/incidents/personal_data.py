"""Incidents' share of a citizen's data rights: the social-network posts whose author
is linked to an account.

A post names its author only by the network's id (``author_ref``); the platform links
such an author to an account only where staff filed an appeal for them, as the user of
issuer ``social:<network>`` and that id (appeals/on_behalf.py). A citizen signed in
through ESIA is never linked to posts, so their section is empty. For a linked author
an erasure removes what the post said and who wrote it (the text, the link, the
author's id, the place) and keeps the row: the incident it joined counted it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise.queryset import QuerySet

from vmeste.platform.appeals.on_behalf import SOCIAL_ISSUER_PREFIX
from vmeste.platform.identity.models import User
from vmeste.platform.incidents.models import SocialPost
from vmeste.platform.personal_data import Erasure, Outcome, PersonalData, records

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient

    from vmeste.platform.runtime import Runtime

REMOVED: dict[str, Any] = {"text": "", "url": "", "author_ref": "", "latitude": None,
                           "longitude": None}


async def _posts(user_id: int, conn: BaseDBAsyncClient | None = None
                 ) -> QuerySet[SocialPost] | None:
    """The posts of the network author the account stands for; None for an account of
    an identity provider."""
    user = await User.filter(id=user_id).using_db(conn).first().values("issuer", "subject")
    if not user or not user["issuer"].startswith(SOCIAL_ISSUER_PREFIX) or not user["subject"]:
        return None
    return SocialPost.filter(network=user["issuer"].removeprefix(SOCIAL_ISSUER_PREFIX),
                             author_ref=user["subject"]).using_db(conn)


async def _export(runtime: Runtime, user_id: int) -> list[dict[str, Any]]:
    posts = await _posts(user_id)
    if posts is None:
        return []
    return records(await posts.values("network", "page_ref", "post_ref", "text", "url",
                                      "posted_at", "state", "incident_id"))


async def _erase(erasure: Erasure) -> Outcome:
    posts = await _posts(erasure.user_id, erasure.conn)
    if posts is None:
        return Outcome()
    changed = await posts.update(**REMOVED)
    return Outcome(pseudonymised=changed, notes=[
        "posts kept as counted in their incidents, text and author removed"] if changed else [])


INCIDENTS_DATA = PersonalData(
    section="incidents", describes="Social-network posts of yours the platform linked to "
    "your account (only where staff filed an appeal for a post's author).",
    export=_export, erase=_erase)
