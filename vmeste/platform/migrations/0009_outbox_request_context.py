"""Outbox rows carry the request id and the W3C trace context of the work that wrote
them, so a job logs (and traces) as part of the request that caused it. Rows written
before keep "" in both: their jobs log without a request id, and their spans start
traces of their own.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class AddOutboxColumn(ops.AddField):
    """Going back drops the column with a plain DROP COLUMN on both databases: Tortoise's
    SQLite editor would rebuild ``outbox_message`` instead, and lose its two indexes."""

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor:
            await state_editor._run_sql(
                f'ALTER TABLE "outbox_message" DROP COLUMN "{self.name}"')


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0008_deadline_subjects')]

    initial = False

    operations = [
        AddOutboxColumn(
            model_name='OutboxMessage',
            name='request_id',
            field=fields.CharField(default='', description='The request id of the work that wrote the row, made current again in its job, so', db_default='', max_length=64),
        ),
        AddOutboxColumn(
            model_name='OutboxMessage',
            name='traceparent',
            field=fields.CharField(default='', description="The W3C trace context of the span that wrote the row: the job's span is its child.", db_default='', max_length=55),
        ),
    ]
