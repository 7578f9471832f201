"""Reading the monitored pages on a schedule: the deadline watchdog's
:class:`MonitoringClock` queues an ``incidents.fetch`` job for each active rule whose
``next_fetch_at`` has come, and the job reads each of the rule's pages through its
network's connector, page by page while the network says more is waiting.

A page's cursor is saved only once the posts read with it are stored, so a crash in
between reads them again, and the store's deduplication (by network, page and post id)
makes that harmless. A network that refuses a page for good (a revoked token, a page gone, a
network with no such reading) has the refusal recorded on the rule for that page, for a
person to see, and the rule's other pages go on; a rate limit or a transient failure,
once the connector's own retries are spent, fails the job, which the outbox retries.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from vmeste.platform.incidents.ingest import store_posts
from vmeste.platform.incidents.models import MonitoringRule
from vmeste.platform.incidents.services import IncidentServices
from vmeste.platform.outbox.services import emit
from vmeste.platform.outbox.topics import Topic, scope_of
from vmeste.platform.publics.failures import (
    ConnectorError,
    NotFound,
    RateLimited,
    TransientError,
    Unauthorized,
    Unsupported,
)
from vmeste.platform.publics.models import OfficialPage, PageStatus

if TYPE_CHECKING:
    from vmeste.platform.runtime import Runtime

FETCH_TOPIC = "incidents.fetch"
#: Network pages read for one official page in one job: a backlog longer than this
#: waits for the rule's next fetch, so one busy page cannot hold a worker for long.
MAX_PAGES = 20
#: The failures that are the page's own (a person has to act): recorded, not retried.
REFUSALS = (Unauthorized, NotFound, Unsupported)
#: How a failure is named on the rule ("failed" for any other connector error).
KINDS: dict[type[ConnectorError], str] = {
    Unauthorized: "unauthorized", NotFound: "not_found", Unsupported: "unsupported",
    RateLimited: "rate_limited", TransientError: "transient"}


def failure(error: ConnectorError, now: datetime) -> dict[str, str]:
    """What the rule keeps of a page's failure: its kind and the connector's message,
    which names the network and method only (never a token or a text)."""
    kind = next((name for cls, name in KINDS.items() if isinstance(error, cls)), "failed")
    return {"kind": kind, "message": str(error)[:500], "at": now.isoformat()}


async def _save(rule_id: int, page_id: int, *, cursor: str | None = None,
                error: dict[str, str] | None = None) -> None:
    """Write one page's cursor (a success clears its error) or its error, under the
    rule's row lock; nothing when the page was taken off the rule meanwhile."""
    key = str(page_id)
    async with in_transaction() as conn:
        rule = await MonitoringRule.filter(id=rule_id).select_for_update().using_db(conn).first()
        if rule is None or page_id not in rule.page_ids:
            return
        if cursor is not None:
            rule.cursors = {**rule.cursors, key: cursor}
            rule.errors = {k: v for k, v in rule.errors.items() if k != key}
        if error is not None:
            rule.errors = {**rule.errors, key: error}
        await rule.save(using_db=conn, update_fields=["cursors", "errors"])


async def _fetch_page(services: IncidentServices, rule_id: int, page: OfficialPage,
                      cursor: str) -> int:
    """Read one official page from ``cursor`` on; how many new posts were stored."""
    stored = 0
    async with services.hub.connector(page.network, page.territory.code,
                                      page.token_variable) as connector:
        for _round in range(MAX_PAGES):
            fetched = await connector.fetch(page.page_ref, cursor)
            stored += (await store_posts(fetched.posts, services.clock())).inserted
            cursor = fetched.cursor
            await _save(rule_id, page.id, cursor=cursor)
            if not fetched.more:
                break
    return stored


async def fetch_rule(services: IncidentServices, rule_id: int, last_attempt: bool = False
                     ) -> int:
    """Read every active page of the rule; how many new posts were stored. A failure
    worth retrying is raised after the other pages had their turn (and, on the job's
    last attempt, recorded on its page like a refusal)."""
    rule = await MonitoringRule.get_or_none(id=rule_id)
    if rule is None or not rule.active or not rule.page_ids:
        return 0
    pages = await OfficialPage.filter(id__in=rule.page_ids, status=PageStatus.ACTIVE
                                      ).order_by("id").prefetch_related("territory")
    stored, retry = 0, None
    for page in pages:
        try:
            stored += await _fetch_page(services, rule.id, page,
                                        rule.cursors.get(str(page.id), ""))
        except REFUSALS as error:
            await _save(rule.id, page.id, error=failure(error, services.clock()))
        except ConnectorError as error:
            if last_attempt:
                await _save(rule.id, page.id, error=failure(error, services.clock()))
            retry = retry or error
    if retry is not None:
        raise retry
    return stored


class MonitoringClock:
    """Rules whose ``next_fetch_at`` has come. The step queues the fetch and moves the
    moment a period on, so a fetch lost for good is queued again the next period."""

    name = "monitoring_rule_fetch"
    subject_type = "monitoring_rule"
    steps = ("fetch_queued",)

    def due(self, now: datetime) -> QuerySet[MonitoringRule]:
        return MonitoringRule.filter(active=True, next_fetch_at__lte=now)

    def subject_id(self, row: MonitoringRule) -> int:
        return row.id

    async def step(self, runtime: Runtime, row: MonitoringRule, now: datetime) -> list[str]:
        due_at = row.next_fetch_at
        if due_at is None:
            return []
        async with in_transaction() as conn:
            moved = await MonitoringRule.filter(
                id=row.id, active=True, next_fetch_at=due_at).using_db(conn).update(
                next_fetch_at=now + timedelta(minutes=row.fetch_every_minutes))
            if not moved:
                return []
            await emit(conn, FETCH_TOPIC, {"rule_id": row.id},
                       f"{FETCH_TOPIC}:{row.id}:{due_at.isoformat()}")
        return ["fetch_queued"]

    def following(self, scope: str | None) -> None:
        """The moment is a period after the last fetch, not a term on the calendars."""
        return None

    async def recompute(self, runtime: Runtime, subject_id: int, now: datetime) -> bool:
        return False


async def _fetch_job(runtime: Runtime, payload: dict[str, Any], last_attempt: bool) -> int:
    return await fetch_rule(runtime.service(IncidentServices), int(payload["rule_id"]),
                            last_attempt)


FETCH_JOB = Topic(FETCH_TOPIC, "vmeste.incident_fetch", "incidents", _fetch_job,
                  scope_of(MonitoringRule, "rule_id"),
                  safe_errors=(ConnectorError,))
