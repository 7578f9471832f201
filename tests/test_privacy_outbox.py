"""An erasure deletes the delivered outbox messages and redriven dead letters that name
the person, and keeps those still to be delivered or redriven."""

from __future__ import annotations

from typing import Any

from tests.privacy_world import NOW, citizen
from vmeste.platform.outbox.models import DeadLetter, OutboxMessage
from vmeste.platform.privacy import erasure
from vmeste.platform.privacy.models import ErasureRequest
from vmeste.platform.votes.models import Vote, VoteStatus


async def test_an_erasure_deletes_the_done_messages_that_name_the_person(
        vmeste_app: Any, clock: Any, world: Any, graphql: Any, submit_appeal: Any,
        db: Any
) -> None:
    clock.set(NOW)
    runtime = vmeste_app.state.runtime
    person = await citizen(db, graphql, submit_appeal)
    await Vote.filter(id=person.vote.id).update(status=VoteStatus.CLOSED)  # no hold
    actor = f"{person.user.issuer}:{person.user.subject}"
    named = {"actor": actor}
    delivered = await OutboxMessage.create(topic="t", dedupe_key="delivered", payload=named,
                                           done_at=NOW)
    pending = await OutboxMessage.create(topic="t", dedupe_key="pending", payload=named)
    other = await OutboxMessage.create(topic="t", dedupe_key="other", done_at=NOW,
                                       payload={"actor": "dev:somebody-else"})
    await DeadLetter.create(actor="job", queue="q", message_id="1",
                            kwargs=named, redriven_at=NOW)
    failed = await DeadLetter.create(actor="job", queue="q", message_id="2", args=[actor])
    row = await ErasureRequest.create(user_id=person.user.id, requested_at=NOW,
                                      execute_after=NOW)
    assert await erasure.execute(runtime, row.id) == "erased"
    assert set(await OutboxMessage.filter(id__in=[delivered.id, pending.id, other.id])
               .values_list("id", flat=True)) == {pending.id, other.id}
    assert set(await DeadLetter.all().values_list("id", flat=True)) == {failed.id}
    done = await ErasureRequest.get(id=row.id)
    assert done.outcome["outbox"]["removed"] == 2
