from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from vmeste.platform.identity.models import Role, UserKind
from vmeste.platform.reference.models import CompetenceLevel, OrganizationKind, TerritoryKind
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('actor', fields.CharField(max_length=300)),
                ('action', fields.CharField(max_length=64)),
                ('object_type', fields.CharField(max_length=64)),
                ('object_id', fields.CharField(max_length=64)),
                ('scope_path', fields.CharField(default='', db_index=True, description='Territory path of the changed object ("" for national objects such as categories),', max_length=255)),
                ('before', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'audit_event', 'app': 'vmeste', 'indexes': [Index(fields=['object_type', 'object_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Category',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('parent', fields.ForeignKeyField('vmeste.Category', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(db_index=True, max_length=512)),
                ('competence_level', fields.CharEnumField(description='FEDERAL: federal\nREGIONAL: regional\nMUNICIPAL: municipal\nINSTITUTION: institution', enum_type=CompetenceLevel, max_length=16)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'category', 'app': 'vmeste', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConfigVersion',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('version', fields.BigIntField(default=0)),
            ],
            options={'table': 'config_version', 'app': 'vmeste', 'pk_attr': 'name', 'table_description': 'A counter per configuration set, bumped on every change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Territory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('name', fields.CharField(max_length=255)),
                ('kind', fields.CharEnumField(description='COUNTRY: country\nREGION: region\nMUNICIPALITY: municipality\nSETTLEMENT: settlement', enum_type=TerritoryKind, max_length=16)),
                ('timezone', fields.CharField(max_length=64)),
                ('parent', fields.ForeignKeyField('vmeste.Territory', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(db_index=True, max_length=255)),
                ('boundary', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'territory', 'app': 'vmeste', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organization',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('ogrn', fields.CharField(unique=True, max_length=13)),
                ('inn', fields.CharField(db_index=True, max_length=12)),
                ('name', fields.CharField(max_length=500)),
                ('kind', fields.CharEnumField(description='FEDERAL: federal\nREGIONAL: regional\nMUNICIPAL: municipal\nINSTITUTION: institution\nINDUSTRY: industry', enum_type=OrganizationKind, max_length=16)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', db_constraint=True, to_field='id', related_name='organizations', on_delete=OnDelete.RESTRICT)),
                ('parent', fields.ForeignKeyField('vmeste.Organization', source_field='parent_id', null=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('connected', fields.BooleanField(default=False)),
                ('contacts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organization', 'app': 'vmeste', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RegionPolicy',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', db_constraint=True, to_field='id', related_name='policies', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('plugin', fields.CharField(max_length=100)),
                ('settings', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'region_policy', 'app': 'vmeste', 'unique_together': (('territory', 'kind', 'plugin'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('issuer', fields.CharField(max_length=255)),
                ('subject', fields.CharField(max_length=255)),
                ('kind', fields.CharEnumField(default=UserKind.PERSON, description='PERSON: person\nLEGAL: legal', enum_type=UserKind, max_length=8)),
                ('last_name', fields.CharField(default='', max_length=255)),
                ('first_name', fields.CharField(default='', max_length=255)),
                ('middle_name', fields.CharField(default='', max_length=255)),
                ('birth_date', fields.DateField(null=True)),
                ('gender', fields.CharField(default='', max_length=8)),
                ('email', fields.CharField(default='', max_length=255)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('address_oktmo', fields.CharField(default='', max_length=11)),
                ('address_fias', fields.CharField(default='', max_length=36)),
                ('verified', fields.BooleanField(default=False)),
                ('org_ogrn', fields.CharField(default='', max_length=13)),
                ('org_name', fields.CharField(default='', max_length=500)),
                ('org_authority', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'vmeste_user', 'app': 'vmeste', 'unique_together': (('issuer', 'subject'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RoleAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('vmeste.User', source_field='user_id', db_constraint=True, to_field='id', related_name='roles', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='CITIZEN: citizen\nOPERATOR: operator\nEXECUTOR: executor\nORG_ADMIN: org_admin\nMODERATOR: moderator\nREGIONAL_ADMIN: regional_admin\nFEDERAL_CONFIGURATOR: federal_configurator\nAUDITOR: auditor', enum_type=Role, max_length=32)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.CASCADE)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', null=True, db_constraint=True, to_field='id', related_name='role_assignments', on_delete=OnDelete.CASCADE)),
                ('scope_key', fields.CharField(max_length=64)),
                ('granted_by', fields.ForeignKeyField('vmeste.User', source_field='granted_by_id', null=True, db_constraint=True, to_field='id', related_name='granted_roles', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'role_assignment', 'app': 'vmeste', 'unique_together': (('user', 'role', 'scope_key'),), 'pk_attr': 'id', 'table_description': '``scope_key`` makes the grant unique even though one of its two scopes is NULL.'},
            bases=['Model'],
        ),
    ]
