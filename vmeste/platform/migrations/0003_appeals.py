from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from vmeste.platform.appeals.models import AppealStatus, ApplicantType, Channel, LegalTrack, RuleStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0002_audit_append_only')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Appeal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('applicant', fields.ForeignKeyField('vmeste.User', source_field='applicant_id', db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('applicant_type', fields.CharEnumField(description='PERSON: person\nLEGAL: legal', enum_type=ApplicantType, max_length=8)),
                ('channel', fields.CharEnumField(description='PORTAL: portal\nWIDGET: widget\nAPP: app\nOPERATOR: operator\nSOCIAL: social\nOPEN311: open311', enum_type=Channel, max_length=16)),
                ('category', fields.ForeignKeyField('vmeste.Category', source_field='category_id', db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('territory_path', fields.CharField(db_index=True, description='Territory path at submission, so scoped staff filter by an indexed prefix.', max_length=255)),
                ('latitude', fields.FloatField(null=True)),
                ('longitude', fields.FloatField(null=True)),
                ('address', fields.CharField(default='', max_length=500)),
                ('text', fields.TextField(unique=False)),
                ('target_organization', fields.ForeignKeyField('vmeste.Organization', source_field='target_organization_id', null=True, description='The body whose site carried the widget the citizen wrote from.', db_constraint=True, to_field='id', related_name='targeted_appeals', on_delete=OnDelete.SET_NULL)),
                ('complained_organization', fields.ForeignKeyField('vmeste.Organization', source_field='complained_organization_id', null=True, description='The body whose actions are complained about: never routed or redirected to it.', db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.SET_NULL)),
                ('legal_track', fields.CharEnumField(default=LegalTrack.MESSAGE, description='MESSAGE: message\nAPPEAL_59FZ: appeal_59fz', enum_type=LegalTrack, max_length=16)),
                ('status', fields.CharEnumField(db_index=True, description='MODERATION: moderation\nREJECTED: rejected\nUNROUTED: unrouted\nROUTED: routed\nIN_PROGRESS: in_progress\nCLARIFICATION_REQUESTED: clarification_requested\nANSWERED: answered\nCLOSED: closed\nWITHDRAWN: withdrawn', enum_type=AppealStatus, max_length=32)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='appeals', on_delete=OnDelete.RESTRICT)),
                ('executor', fields.ForeignKeyField('vmeste.User', source_field='executor_id', null=True, db_constraint=True, to_field='id', related_name='assigned_appeals', on_delete=OnDelete.SET_NULL)),
                ('idempotency_key', fields.CharField(null=True, max_length=128)),
                ('routing_trace', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('answer', fields.TextField(null=True, unique=False)),
                ('rating', fields.SmallIntField(null=True)),
                ('rework_count', fields.SmallIntField(default=0)),
                ('revision', fields.IntField(default=0, description='Bumped by every step. A step applies only to the revision it read, so two')),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('answered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appeal', 'app': 'vmeste', 'unique_together': (('applicant', 'idempotency_key'),), 'indexes': [Index(fields=['organization_id', 'status']), Index(fields=['applicant_id', 'created_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealCopy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='copies', on_delete=OnDelete.CASCADE)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='appeal_copies', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_copy', 'app': 'vmeste', 'unique_together': (('appeal', 'organization'),), 'pk_attr': 'id', 'table_description': 'A copy sent for information to another competent body.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('actor', fields.CharField(max_length=300)),
                ('action', fields.CharField(max_length=32)),
                ('from_status', fields.CharField(null=True, max_length=32)),
                ('to_status', fields.CharField(max_length=32)),
                ('reason', fields.TextField(default='', unique=False)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'appeal_event', 'app': 'vmeste', 'indexes': [Index(fields=['appeal_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One step in the life of an appeal, never changed or removed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CompetenceRule',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.ForeignKeyField('vmeste.Category', source_field='category_id', db_constraint=True, to_field='id', related_name='competence_rules', on_delete=OnDelete.RESTRICT)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', db_constraint=True, to_field='id', related_name='competence_rules', on_delete=OnDelete.RESTRICT)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='competence_rules', on_delete=OnDelete.RESTRICT)),
                ('priority', fields.IntField(default=0)),
                ('applicant_type', fields.CharEnumField(null=True, description='PERSON: person\nLEGAL: legal', enum_type=ApplicantType, max_length=8)),
                ('channel', fields.CharEnumField(null=True, description='PORTAL: portal\nWIDGET: widget\nAPP: app\nOPERATOR: operator\nSOCIAL: social\nOPEN311: open311', enum_type=Channel, max_length=16)),
                ('valid_from', fields.DateField(null=True)),
                ('valid_to', fields.DateField(null=True)),
                ('status', fields.CharEnumField(default=RuleStatus.DRAFT, db_index=True, description='DRAFT: draft\nPUBLISHED: published\nRETIRED: retired', enum_type=RuleStatus, max_length=16)),
                ('version', fields.IntField(default=1)),
                ('replaces', fields.ForeignKeyField('vmeste.CompetenceRule', source_field='replaces_id', null=True, db_constraint=True, to_field='id', related_name='replaced_by', on_delete=OnDelete.SET_NULL)),
                ('retire', fields.BooleanField(default=False)),
                ('author', fields.CharField(max_length=300)),
                ('territory_path', fields.CharField(db_index=True, description='Territory path of the scope, for "within my region" checks and coverage reports.', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'competence_rule', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'Category (group) × territory scope → responsible body.'},
            bases=['Model'],
        ),
    ]
