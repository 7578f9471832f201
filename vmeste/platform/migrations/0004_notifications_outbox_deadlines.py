from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from enum import StrEnum
from vmeste.platform.notifications.models import NotificationStatus
from tortoise import fields
from tortoise.indexes import Index


class NotificationChannel(StrEnum):
    """The channels as they were a closed list here (0007 opened them); frozen in the
    migration so the models need not keep it."""

    INBOX = "inbox"
    EMAIL = "email"
    WEBHOOK = "webhook"
    SMS = "sms"
    PUSH = "push"


class Migration(migrations.Migration):
    dependencies = [('vmeste', '0003_appeals')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppealExtension',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.CASCADE)),
                ('units', fields.IntField()),
                ('reason', fields.TextField(unique=False)),
                ('actor', fields.CharField(max_length=300)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_extension', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'A term extended in units of the deadline policy (59-ФЗ: once, up to 30 days).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealPause',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='pauses', on_delete=OnDelete.CASCADE)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.CharField(max_length=64)),
                ('timeout_at', fields.DatetimeField(null=True, db_index=True, description="When the applicant's silence ends the pause (its own timeout).", auto_now=False, auto_now_add=False)),
                ('reminders_sent', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'appeal_pause', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'A stretch during which the deadline clock stood still (a clarification request).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeadLetter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.CharField(max_length=100)),
                ('queue', fields.CharField(max_length=100)),
                ('message_id', fields.CharField(db_index=True, max_length=64)),
                ('args', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('kwargs', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.TextField(default='', unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('scope_path', fields.CharField(default='', db_index=True, description='Territory path the job concerned, so regional staff see their own failures.', max_length=255)),
                ('failed_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('redriven_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('redriven_by', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'dead_letter', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'A job that kept failing after every retry, kept for an operator to re-drive.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('vmeste.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_preferences', on_delete=OnDelete.CASCADE)),
                ('event', fields.CharField(max_length=64)),
                ('channel', fields.CharEnumField(description='INBOX: inbox\nEMAIL: email\nWEBHOOK: webhook\nSMS: sms\nPUSH: push', enum_type=NotificationChannel, max_length=16)),
                ('enabled', fields.BooleanField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_preference', 'app': 'vmeste', 'unique_together': (('user', 'event', 'channel'),), 'pk_attr': 'id', 'table_description': "A user's choice for one event (or ``*`` for all) on one channel."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationTemplate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', db_constraint=True, to_field='id', related_name='notification_templates', on_delete=OnDelete.CASCADE)),
                ('event', fields.CharField(max_length=64)),
                ('channel', fields.CharEnumField(description='INBOX: inbox\nEMAIL: email\nWEBHOOK: webhook\nSMS: sms\nPUSH: push', enum_type=NotificationChannel, max_length=16)),
                ('locale', fields.CharField(default='ru', max_length=8)),
                ('subject', fields.CharField(default='', max_length=500)),
                ('body', fields.TextField(unique=False)),
                ('author', fields.CharField(default='', max_length=300)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_template', 'app': 'vmeste', 'unique_together': (('territory', 'event', 'channel', 'locale'),), 'pk_attr': 'id', 'table_description': "A region's wording of one event on one channel (Jinja2), overriding the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('topic', fields.CharField(max_length=64)),
                ('dedupe_key', fields.CharField(unique=True, description='Unique: emitting the same fact twice (a retried step) stores it once.', max_length=255)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('available_at', fields.DatetimeField(null=True, description='Not before this moment (a delayed job such as a retry or a reminder).', auto_now=False, auto_now_add=False)),
                ('relayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('relay_attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'outbox_message', 'app': 'vmeste', 'indexes': [Index(fields=['relayed_at', 'id'])], 'pk_attr': 'id', 'table_description': 'A message for the workers, committed with the state change that caused it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoredCalendar',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(db_index=True, max_length=64)),
                ('version', fields.CharField(max_length=64)),
                ('territory_code', fields.CharField(db_index=True, description='Territory code the calendar binds to (the country code for the federal one).', max_length=16)),
                ('base', fields.CharField(null=True, max_length=64)),
                ('data', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('checksum', fields.CharField(max_length=64)),
                ('current', fields.BooleanField(default=True)),
                ('author', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'stored_calendar', 'app': 'vmeste', 'unique_together': (('name', 'version'),), 'pk_attr': 'id', 'table_description': 'One imported version of a production calendar (federal or regional).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2000)),
                ('secret', fields.CharField(description='HMAC-SHA256 key. Shown once on creation, never again, never logged.', max_length=128)),
                ('events', fields.JSONField(default=list, description='Event names, or an empty list for every event.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('author', fields.CharField(default='', max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_subscription', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': "A body's system (its document flow, a CRM) told about its appeals' events."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('dedupe_key', fields.CharField(unique=True, max_length=255)),
                ('event', fields.CharField(db_index=True, max_length=64)),
                ('channel', fields.CharEnumField(description='INBOX: inbox\nEMAIL: email\nWEBHOOK: webhook\nSMS: sms\nPUSH: push', enum_type=NotificationChannel, max_length=16)),
                ('recipient', fields.ForeignKeyField('vmeste.User', source_field='recipient_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('webhook', fields.ForeignKeyField('vmeste.WebhookSubscription', source_field='webhook_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('address', fields.CharField(default='', description='E-mail, phone or URL at fan-out time. Personal data: never logged.', max_length=2000)),
                ('appeal', fields.ForeignKeyField('vmeste.Appeal', source_field='appeal_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('territory_path', fields.CharField(default='', db_index=True, description="Territory path of the appeal, so regional staff see their region's delivery log.", max_length=255)),
                ('subject', fields.CharField(default='', max_length=500)),
                ('body', fields.TextField(default='', unique=False)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nRETRYING: retrying\nDEAD: dead\nSKIPPED: skipped', enum_type=NotificationStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notification', 'app': 'vmeste', 'indexes': [Index(fields=['recipient_id', 'channel', 'id']), Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': 'One message to one recipient on one channel.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notification', fields.ForeignKeyField('vmeste.Notification', source_field='notification_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('ok', fields.BooleanField()),
                ('error', fields.TextField(default='', description="The channel's error, with addresses and secrets left out.", unique=False)),
                ('duration_ms', fields.IntField(default=0)),
            ],
            options={'table': 'delivery_attempt', 'app': 'vmeste', 'indexes': [Index(fields=['notification_id', 'number'])], 'pk_attr': 'id', 'table_description': 'One try at handing a notification to its channel, kept as the delivery log.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Appeal',
            name='calendar_version',
            field=fields.CharField(null=True, description='The calendar and version the due moment was computed on.', max_length=200),
        ),
        ops.AddField(
            model_name='Appeal',
            name='deadline_policy',
            field=fields.CharField(null=True, description='The deadline policy in force, such as working-days:10 or calendar-days:30.', max_length=32),
        ),
        ops.AddField(
            model_name='Appeal',
            name='due_at',
            field=fields.DatetimeField(null=True, db_index=True, description='Due moment after pauses and extensions, recomputed on every change of them.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='escalated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='overdue_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='redirect_due_at',
            field=fields.DatetimeField(null=True, description='59-FZ: the body must redirect an appeal outside its competence by this moment.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='registered_at',
            field=fields.DatetimeField(null=True, description='When the appeal was registered (accepted by moderation): the clock starts here.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Appeal',
            name='reminders_sent',
            field=fields.JSONField(default=list, description='Fractions of the term already reminded about, so reminders go out once.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Category',
            name='deadline_policy',
            field=fields.CharField(null=True, description='Default deadline policy for platform messages, such as working-days:10.', max_length=32),
        ),
    ]
