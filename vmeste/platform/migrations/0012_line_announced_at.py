"""A direct line records when it was announced (``announced_at``), so a line cancelled
while still a draft stays a draft to the public, as a hearing does.

Lines already past draft get the moment of their ``announce`` event; one without the
event (not expected) its creation, unless it was cancelled: a cancelled line without an
``announce`` event was cancelled as a draft and keeps the column empty.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

BACKFILL = (
    "UPDATE direct_line SET announced_at = COALESCE("
    "(SELECT MIN(e.at) FROM direct_line_event e WHERE e.line_id = direct_line.id "
    "AND e.action = 'announce'), "
    "CASE WHEN direct_line.status <> 'cancelled' THEN direct_line.created_at END) "
    "WHERE status <> 'draft'")


class AddLineColumn(ops.AddField):
    """Going back drops the column with a plain DROP COLUMN on both databases: Tortoise's
    SQLite editor would rebuild ``direct_line`` instead, and lose its three indexes."""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor:
            await state_editor._run_sql(
                f'ALTER TABLE "direct_line" DROP COLUMN "{self.name}"')


async def _backfill(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(BACKFILL)


async def _nothing(apps, schema_editor) -> None:
    """Going back drops the column, and its values with it."""


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0011_hearings')]

    initial = False

    operations = [
        AddLineColumn(
            model_name='DirectLine',
            name='announced_at',
            field=fields.DatetimeField(null=True, description='When it was announced, the moment everyone sees it from, cancelled or not.', auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(_backfill, reverse_code=_nothing),
    ]
