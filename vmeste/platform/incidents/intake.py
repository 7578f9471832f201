"""The one place fetched and pushed posts are handed to the store (which deduplicates
them by network and post id, and queues their processing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

# TEMPORARY: the lead points this at vmeste.platform.incidents.ingest at merge.
from vmeste.platform.incidents._ingest_stand_in import StoreResult, store_posts
from vmeste.platform.publics.connectors import Post


async def take(posts: Sequence[Post], now: datetime) -> StoreResult | None:
    """Store ``posts`` (nothing to do for none)."""
    return await store_posts(posts, now) if posts else None
