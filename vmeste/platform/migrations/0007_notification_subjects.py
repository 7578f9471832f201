from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

#: The models whose ``channel`` column names a channel.
CHANNEL_MODELS = ("Notification", "NotificationPreference", "NotificationTemplate")


async def _appeal_subjects(apps, schema_editor) -> None:
    # Every notification so far was about an appeal.
    await schema_editor.client.execute_script(
        "UPDATE notification SET subject_type = 'appeal', subject_id = appeal_id "
        "WHERE appeal_id IS NOT NULL")


async def _appeal_ids(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        "UPDATE notification SET appeal_id = subject_id WHERE subject_type = 'appeal'")


class DropAppealColumn(ops.RemoveField):
    """``notification.appeal_id`` goes with a plain DROP COLUMN on both databases.
    Tortoise's SQLite editor would rebuild the table instead (see :class:`AlterColumn`)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor:
            await state_editor._run_sql("ALTER TABLE notification DROP COLUMN appeal_id")


class AlterColumn(ops.AlterField):
    """A column's type or comment changes: a channel column stops being an enum of five
    names and widens to any installed channel's name. SQLite ignores VARCHAR lengths
    and keeps no comments, so only the other databases have something to alter (and on
    SQLite Tortoise would rebuild the table, dropping its indexes and cascading to the
    delivery attempts; its AlterField also refuses a change of Python type)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.DIALECT == "sqlite":
            return
        old_model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        new_model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        await state_editor._alter_field(new_model, old_model._meta.fields_map[self.name],
                                        new_model._meta.fields_map[self.name])

    database_backward = database_forward


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0006_watchdog_next_check')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notification',
            name='subject_type',
            field=fields.CharField(db_default='', description="What the notification is about: a component's subject type (``appeal``,", max_length=32),
        ),
        ops.AddField(
            model_name='Notification',
            name='subject_id',
            field=fields.BigIntField(db_default=0),
        ),
        ops.RunPython(_appeal_subjects, reverse_code=_appeal_ids),
        DropAppealColumn(model_name='Notification', name='appeal'),
        AlterColumn(
            model_name='Notification',
            name='territory_path',
            field=fields.CharField(default='', db_index=True, description="Territory path of the subject, so regional staff see their region's delivery log.", max_length=255),
        ),
        ops.AddIndex(
            model_name='Notification',
            index=Index(fields=['subject_type', 'subject_id']),
        ),
        *(AlterColumn(model_name=model, name='channel', field=fields.CharField(max_length=32))
          for model in CHANNEL_MODELS),
    ]
