from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from vmeste.platform.privacy.models import ErasureStatus, ExportStatus
from tortoise import fields
from tortoise.indexes import Index

#: The retention sweep's one row, due at once (privacy/retention.py).
SEED = ("INSERT INTO retention_sweep (id, next_run_at, last_outcome) "
        "VALUES (1, '2000-01-01T00:00:00+00:00', '{}')")


async def _seed_retention_sweep(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(SEED)


async def _noop(apps, schema_editor) -> None:
    return None


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0019_open311')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataExport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('vmeste.User', source_field='user_id', db_constraint=True, to_field='id', related_name='data_exports', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=ExportStatus.REQUESTED, description='REQUESTED: requested\nREADY: ready\nEXPIRED: expired\nFAILED: failed', enum_type=ExportStatus, max_length=16)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ready_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(null=True, db_index=True, description='When the archive is deleted (set once it is built).', auto_now=False, auto_now_add=False)),
                ('file_name', fields.CharField(default='', description="The archive's file name under the data directory's ``exports`` folder.", max_length=100)),
                ('size', fields.BigIntField(default=0)),
                ('sha256', fields.CharField(default='', max_length=64)),
                ('sections', fields.JSONField(default=dict, description='Section name and how many records it holds, as in the manifest.', encoder=JSON_DUMPS, decoder=loads)),
                ('revision', fields.IntField(default=0)),
            ],
            options={'table': 'data_export', 'app': 'vmeste', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One archive of everything the platform holds about its owner.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ErasureRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('vmeste.User', source_field='user_id', db_constraint=True, to_field='id', related_name='erasure_requests', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=ErasureStatus.SCHEDULED, db_index=True, description='SCHEDULED: scheduled\nCANCELED: canceled\nDONE: done', enum_type=ErasureStatus, max_length=16)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('execute_after', fields.DatetimeField(description='Not executed before this moment: the cooling-off period, or what a component', auto_now=False, auto_now_add=False)),
                ('executed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('canceled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.JSONField(default=dict, description='Section name and its counts (removed, pseudonymised, kept, notes).', encoder=JSON_DUMPS, decoder=loads)),
                ('revision', fields.IntField(default=0)),
            ],
            options={'table': 'erasure_request', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': "A citizen's request to erase their data: the record of what was asked, when it"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RetentionSweep',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('next_run_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('last_run_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_outcome', fields.JSONField(default=dict, description='Section name and its counts at the last run.', encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'retention_sweep', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'When the retention sweep last ran and runs next (one row), for the watchdog.'},
            bases=['Model'],
        ),
        ops.RunPython(_seed_retention_sweep, reverse_code=_noop),
    ]
