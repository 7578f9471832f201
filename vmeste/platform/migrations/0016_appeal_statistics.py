"""Appeals keep what their statistics read: the first answer's moment, the seconds from
registration to it, whether it was late, and the local day of submission.

Existing appeals get them from their history: the first ``answer`` event, the stored
registration and due moments, the creation moment on the territory's clock. PostgreSQL
does it in one set-based UPDATE (it knows the time zones); SQLite has no time zones in
SQL, so Python reads the appeals a batch of ids at a time and writes each batch at once,
never holding the whole table in memory.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

FIRST_ANSWER = (
    "UPDATE appeal SET first_answered_at = (SELECT MIN(e.at) FROM appeal_event e "
    "WHERE e.appeal_id = appeal.id AND e.action = 'answer') WHERE answered_at IS NOT NULL")
POSTGRES = (
    "UPDATE appeal AS a SET received_on = (a.created_at AT TIME ZONE t.timezone)::date, "
    "answer_seconds = CASE WHEN a.first_answered_at IS NULL OR a.registered_at IS NULL "
    "THEN NULL ELSE GREATEST(FLOOR(EXTRACT(EPOCH FROM a.first_answered_at - a.registered_at"
    "))::integer, 0) END, answered_late = a.first_answered_at > a.due_at "
    "FROM territory AS t WHERE t.id = a.territory_id")
#: Appeals per batch on SQLite.
BATCH = 1000
ROWS = ("SELECT a.id, a.created_at, a.registered_at, a.due_at, a.first_answered_at, "
        "t.timezone FROM appeal a JOIN territory t ON t.id = a.territory_id "
        f"WHERE a.id > ? ORDER BY a.id LIMIT {BATCH}")
UPDATE = "UPDATE appeal SET received_on = ?, answer_seconds = ?, answered_late = ? WHERE id = ?"


def _moment(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _values(row) -> list:
    created, registered = _moment(row["created_at"]), _moment(row["registered_at"])
    due, answered = _moment(row["due_at"]), _moment(row["first_answered_at"])
    seconds = late = None
    if answered is not None and registered is not None:
        seconds = max(int((answered - registered).total_seconds()), 0)
    if answered is not None and due is not None:
        late = answered > due
    return [created.astimezone(ZoneInfo(row["timezone"])).date().isoformat(), seconds, late,
            row["id"]]


async def _backfill(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script(FIRST_ANSWER)
    if schema_editor.DIALECT == "postgres":
        await client.execute_script(POSTGRES)
        return
    last = 0
    while rows := await client.execute_query_dict(ROWS, [last]):
        await client.execute_many(UPDATE, [_values(row) for row in rows])
        last = rows[-1]["id"]


class AddAppealColumn(ops.AddField):
    """Going back drops the column with a plain DROP COLUMN on both databases (its index
    first on SQLite, which refuses to drop an indexed column; PostgreSQL drops it with
    the column): Tortoise's SQLite editor would rebuild ``appeal`` instead, and lose its
    indexes."""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if not state_editor:
            return
        if state_editor.DIALECT == "sqlite":
            found = await state_editor.client.execute_query_dict(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'appeal' "
                f"AND sql LIKE '%\"{self.name}\"%'")
            for row in found:
                await state_editor._run_sql(f'DROP INDEX "{row["name"]}"')
        await state_editor._run_sql(f'ALTER TABLE "appeal" DROP COLUMN "{self.name}"')


async def _nothing(apps, schema_editor) -> None:
    """Going back drops the columns, and their values with them."""


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0015_workstation')]

    initial = False

    operations = [
        AddAppealColumn(
            model_name='Appeal',
            name='answer_seconds',
            field=fields.IntField(null=True, description='Seconds from registration to the first answer (statistics: time to answer).'),
        ),
        AddAppealColumn(
            model_name='Appeal',
            name='answered_late',
            field=fields.BooleanField(null=True, description='Whether the first answer came after the due moment in force then.'),
        ),
        AddAppealColumn(
            model_name='Appeal',
            name='first_answered_at',
            field=fields.DatetimeField(null=True, description="The first answer's moment: an answer after rework moves answered_at, not this.", auto_now=False, auto_now_add=False),
        ),
        AddAppealColumn(
            model_name='Appeal',
            name='received_on',
            field=fields.DateField(null=True, db_index=True, description="The day of submission in the territory's time zone (statistics by period)."),
        ),
        ops.RunPython(_backfill, reverse_code=_nothing),
    ]
