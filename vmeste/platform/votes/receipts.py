"""Receipts: what a voter keeps to find their ballot on the bulletin board.

A receipt is sha256 over the vote, the ballot's canonical content and a random nonce
that stays with the ballot and is never shown. The voter can look the receipt up and
check its inclusion proof, but cannot show anyone how they voted with it: without the
nonce, no content can be shown to hash to it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence


def receipt_of(vote_id: int, content: Sequence[Sequence[int]], nonce: str) -> str:
    body = json.dumps([vote_id, [list(c) for c in content], nonce], separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()
