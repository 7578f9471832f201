"""TEMPORARY stand-in for :mod:`vmeste.platform.incidents.ingest` (written on another
branch), so the fetch job and the webhooks can be tested here: the lead deletes this
module at merge and points :mod:`vmeste.platform.incidents.intake` at the real
``store_posts``. Same signature and result; a plain ``bulk_create`` that skips posts
already stored (by network and post id), and no processing job queued."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from vmeste.platform.incidents.models import SocialPost
from vmeste.platform.publics.connectors import Post


@dataclass(frozen=True)
class StoreResult:
    inserted: int
    duplicates: int


async def store_posts(posts: Sequence[Post], now: datetime) -> StoreResult:
    before = await SocialPost.all().count()
    await SocialPost.bulk_create(
        [SocialPost(network=p.network, post_ref=p.post_id, page_ref=p.page_id,
                    parent_ref=p.parent_id, author_ref=p.author_id, text=p.text, url=p.url,
                    posted_at=p.created_at, ingested_at=now) for p in posts],
        ignore_conflicts=True)
    inserted = await SocialPost.all().count() - before
    return StoreResult(inserted=inserted, duplicates=len(posts) - inserted)
