"""Published results at stable public URLs, for a site to embed or a newspaper to link:

- ``/votes/{id}/results.svg``: bars per option;
- ``/votes/{id}/breakdown/{by}.svg``: a breakdown (``age_band``, ``gender``, ``territory``);
- ``/votes/{id}/results.csv``: the totals and every breakdown (see ``exports``);
- ``/votes/{id}/results.pb``: the ballots in the Pabulib format (see ``pabulib``).

``{id}`` is the vote's number (the primary key inside its GraphQL id). Only a vote
whose results are published answers; any other (unknown, a draft, open, closed) is a
404 with the transport's JSON error body and the code ``NOT_FOUND``, so a URL says
nothing of a vote before publication. Published results never change, so every answer
has a strong ETag (a hash of the body: a conditional request gets 304) and may be
cached; the process keeps the bodies (small ones) and their ETags under the vote, what
is rendered in which language and the sealed board's root, so a repeated request
renders nothing and a conditional one is answered before any rendering. The charts'
words follow ``Accept-Language`` (which the locale middleware names in ``Vary``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from vmeste.platform.errors import ErrorCode
from vmeste.platform.http.protocol import json_error
from vmeste.platform.i18n import _, current
from vmeste.platform.reference.models import Territory
from vmeste.platform.votes import charts
from vmeste.platform.votes.exports import results_csv
from vmeste.platform.votes.models import Vote, VoteStatus
from vmeste.platform.votes.pabulib import pabulib
from vmeste.platform.votes.results import Dimension, breakdown, vote_results
from vmeste.platform.votes.sealed import Recent

#: A day: the results behind a URL cannot change once published.
CACHE_CONTROL = "public, max-age=86400"
MAX_VOTE_ID = 2**31 - 1
SVG = "image/svg+xml; charset=utf-8"
CSV = "text/csv; charset=utf-8"
TEXT = "text/plain; charset=utf-8"

#: Rendered bodies kept per process (a published vote's charts and CSV are small; a
#: national vote's Pabulib file is not, and only its ETag is kept).
KEPT_BODIES = 64
MAX_KEPT_BODY = 1_000_000
KEPT_ETAGS = 4_096

Render = Callable[[Vote, Request], Awaitable[bytes]]
_Key = tuple[int, str, str, str]
_bodies: Recent[_Key, bytes] = Recent(KEPT_BODIES)
_etags: Recent[_Key, str] = Recent(KEPT_ETAGS)


def results_path(vote_id: int, kind: str) -> str:
    """``results.svg``, ``results.csv``, ``results.pb`` or ``breakdown/<by>.svg``."""
    return f"/votes/{vote_id}/{kind}"


def not_published() -> Response:
    return json_error(404, ErrorCode.NOT_FOUND.value,
                      _("This vote has no published results"))


async def published(vote_id: int) -> Vote | None:
    if vote_id > MAX_VOTE_ID:
        return None
    vote = await Vote.get_or_none(id=vote_id)
    return vote if vote is not None and vote.status == VoteStatus.RESULTS_PUBLISHED else None


async def _results_svg(vote: Vote, request: Request) -> bytes:
    return charts.results_chart(vote.title, vote.method, await vote_results(vote)).encode()


async def _breakdown_svg(vote: Vote, request: Request) -> bytes:
    by = Dimension(request.path_params["by"])
    results = await vote_results(vote)
    groups = await breakdown(vote, by, [o.id for o in results.options])
    names: dict[str, str] = {}
    if by is Dimension.TERRITORY:
        names = dict(await Territory.filter(code__in=[g.group for g in groups]).values_list(
            "code", "name"))  # type: ignore[arg-type]
    return charts.breakdown_chart(vote.title, by, results.options, groups,
                                  vote.min_group_size, results.winners, names).encode()


async def _csv(vote: Vote, request: Request) -> bytes:
    return (await results_csv(vote)).encode()


async def _pabulib(vote: Vote, request: Request) -> bytes:
    return (await pabulib(vote)).encode()


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _key(vote: Vote, kind: str) -> _Key | None:
    """What a published answer is fixed by: the vote (its number and the moment it was
    published), what is rendered, in which language, from which sealed board. None
    for a vote without a sealed board, which is never kept."""
    if vote.board_root is None or vote.published_at is None:
        return None
    return (vote.id, vote.published_at.isoformat(), f"{kind}:{current()}", vote.board_root)


async def _rendered(key: _Key | None, render: Render, vote: Vote, request: Request
                    ) -> tuple[str, bytes]:
    """The body and its ETag, from memory where kept (bodies up to
    :data:`MAX_KEPT_BODY`; every ETag), else rendered and remembered."""
    body = _bodies.get(key) if key else None
    if body is None:
        body = await render(vote, request)
        if key and len(body) <= MAX_KEPT_BODY:
            _bodies.put(key, body)
    etag = (_etags.get(key) if key else None) or _etag(body)
    if key:
        _etags.put(key, etag)
    return etag, body


def _serve(render: Render, media_type: str, kind: str, filename: str | None = None
           ) -> Callable[[Request], Awaitable[Response]]:
    """The route's endpoint; ``kind`` is its path after the vote's number, ``{by}``
    standing for a breakdown's dimension."""
    async def endpoint(request: Request) -> Response:
        by = request.path_params.get("by")
        if by is not None and by not in {d.value for d in Dimension}:
            return not_published()
        vote = await published(request.path_params["vote_id"])
        if vote is None:
            return not_published()
        asked = request.headers.get("if-none-match", "")
        key = _key(vote, kind.format(by=by))
        etag, body = _etags.get(key) if key else None, b""
        if etag is None or etag not in asked:  # a known ETag asked again is never rendered
            etag, body = await _rendered(key, render, vote, request)
        headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
        if filename is not None:
            headers["Content-Disposition"] = (
                f'inline; filename="{filename.format(id=vote.id)}"')
        if etag in asked:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=media_type, headers=headers)

    return endpoint


def routes() -> list[BaseRoute]:
    base = "/votes/{vote_id:int}"
    served = (("results.svg", _results_svg, SVG, None),
              ("breakdown/{by}.svg", _breakdown_svg, SVG, None),
              ("results.csv", _csv, CSV, "vote-{id}-results.csv"),
              ("results.pb", _pabulib, TEXT, "vote-{id}.pb"))
    return [Route(f"{base}/{kind}", _serve(render, media_type, kind, filename),
                  methods=["GET"]) for kind, render, media_type, filename in served]
