from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0005_outbox_done')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Appeal',
            name='next_check_at',
            field=fields.DatetimeField(null=True, db_index=True, description='When the deadline watchdog next has something to check (a reminder moment, the', auto_now=False, auto_now_add=False),
        ),
    ]
