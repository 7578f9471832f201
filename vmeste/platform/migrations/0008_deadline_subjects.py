"""Pauses and extensions of deadlines belong to any subject, not only to appeals.

``appeal_pause`` and ``appeal_extension`` become ``deadline_pause`` and
``deadline_extension`` keyed by (subject_type, subject_id); every row is carried over
with its id, as the subject ``appeal``, before the old tables are dropped. On
PostgreSQL the id sequences then continue after the copied ids.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

PAUSE_COLUMNS = "id, started_at, ended_at, reason, timeout_at, reminders_sent"
EXTENSION_COLUMNS = "id, units, reason, actor, at"


def _copy(source: str, target: str, columns: str) -> str:
    return (f"INSERT INTO {target} (subject_type, subject_id, {columns}) "
            f"SELECT 'appeal', appeal_id, {columns} FROM {source} ORDER BY id")


def _sequence(table: str) -> str:
    return (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")


async def _carry_over(apps, schema_editor) -> None:
    statements = [_copy("appeal_pause", "deadline_pause", PAUSE_COLUMNS),
                  _copy("appeal_extension", "deadline_extension", EXTENSION_COLUMNS)]
    if schema_editor.DIALECT == "postgres":
        statements += [_sequence("deadline_pause"), _sequence("deadline_extension")]
    for statement in statements:
        await schema_editor.client.execute_script(statement)


async def _carry_back(apps, schema_editor) -> None:
    for source, target, columns in (
            ("deadline_pause", "appeal_pause", PAUSE_COLUMNS),
            ("deadline_extension", "appeal_extension", EXTENSION_COLUMNS)):
        await schema_editor.client.execute_script(
            f"INSERT INTO {target} (appeal_id, {columns}) SELECT subject_id, {columns} "
            f"FROM {source} WHERE subject_type = 'appeal' ORDER BY id")


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0007_notification_subjects')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeadlineExtension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_type', fields.CharField(max_length=32)),
                ('subject_id', fields.BigIntField()),
                ('units', fields.IntField()),
                ('reason', fields.TextField(unique=False)),
                ('actor', fields.CharField(max_length=300)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'deadline_extension', 'app': 'vmeste', 'indexes': [Index(fields=['subject_type', 'subject_id'])], 'pk_attr': 'id', 'table_description': 'A term extended in units of the deadline policy (59-ФЗ: once, up to 30 days).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeadlinePause',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject_type', fields.CharField(description='What the clock belongs to: "appeal", "hearing", …', max_length=32)),
                ('subject_id', fields.BigIntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.CharField(max_length=64)),
                ('timeout_at', fields.DatetimeField(null=True, db_index=True, description="When the other side's silence ends the pause (its own timeout).", auto_now=False, auto_now_add=False)),
                ('reminders_sent', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'deadline_pause', 'app': 'vmeste', 'indexes': [Index(fields=['subject_type', 'subject_id'])], 'pk_attr': 'id', 'table_description': "A stretch during which a subject's deadline clock stood still (an appeal's"},
            bases=['Model'],
        ),
        ops.RunPython(_carry_over, reverse_code=_carry_back),
        ops.DeleteModel(name='AppealExtension'),
        ops.DeleteModel(name='AppealPause'),
    ]
