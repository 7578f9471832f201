"""Make the audit trail append-only in the database itself.

The model refuses updates and deletes too, but a trigger also stops raw SQL, a
console session or a buggy bulk update from rewriting history.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SQLITE_UP = """
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
"""
SQLITE_DOWN = """
DROP TRIGGER IF EXISTS audit_event_no_update;
DROP TRIGGER IF EXISTS audit_event_no_delete;
"""
POSTGRES_UP = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_event is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def _by_dialect(sqlite: str, postgres: str):
    async def run(apps, schema_editor) -> None:
        sql = postgres if schema_editor.DIALECT == "postgres" else sqlite
        await schema_editor.client.execute_script(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("vmeste", "0001_initial")]

    operations = [
        ops.RunPython(_by_dialect(SQLITE_UP, POSTGRES_UP),
                      reverse_code=_by_dialect(SQLITE_DOWN, POSTGRES_DOWN)),
    ]
