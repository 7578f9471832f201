from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

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
    ]
