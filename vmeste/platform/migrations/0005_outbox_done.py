from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index



async def _relayed_rows_are_done(apps, schema_editor) -> None:
    # Rows relayed before done_at existed were handled long ago: without this, the
    # first scheduler sweep would relay the whole history again.
    await schema_editor.client.execute_script(
        "UPDATE outbox_message SET done_at = relayed_at WHERE relayed_at IS NOT NULL")


async def _nothing(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0004_notifications_outbox_deadlines')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxMessage',
            name='done_at',
            field=fields.DatetimeField(null=True, description='Set when the job finished (done, or dead-lettered). A row relayed but never', auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['done_at', 'relayed_at']),
        ),
        ops.RunPython(_relayed_rows_are_done, reverse_code=_nothing),
    ]
