import pytest
from tortoise import connections

from vmeste.platform.audit.models import AuditEvent, AuditEventImmutable
from vmeste.platform.audit.services import record


async def test_events_are_written_with_before_and_after(db):
    event = await record(actor="system", action="territory.update", object_type="territory",
                         object_id="RU", before={"name": "A"}, after={"name": "B"},
                         scope_path="RU")
    stored = await AuditEvent.get(id=event.id)
    assert (stored.before, stored.after, stored.scope_path) == ({"name": "A"}, {"name": "B"}, "RU")


async def test_model_refuses_to_rewrite_history(db):
    event = await record(actor="system", action="x", object_type="t", object_id="1",
                         before=None, after={})
    event.action = "y"
    with pytest.raises(AuditEventImmutable):
        await event.save()
    with pytest.raises(AuditEventImmutable):
        await event.delete()


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET action = 'forged'",
                                       "DELETE FROM audit_event"])
async def test_database_refuses_raw_rewrites(db, statement):
    await record(actor="system", action="x", object_type="t", object_id="1", before=None,
                 after={})
    with pytest.raises(Exception, match="append-only"):
        await connections.get("default").execute_script(statement)
    assert await AuditEvent.filter(action="x").count() == 1
