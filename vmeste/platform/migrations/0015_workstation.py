from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from vmeste.platform.appeals.desk_models import ContactMode
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0014_incidents')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppealClaim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.ForeignKeyField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('claimed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('claimed_by', fields.ForeignKeyField('vmeste.User', source_field='claimed_by_id', null=True, db_constraint=True, to_field='id', related_name='appeal_claims', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_claim', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'A single-use, expiring code with which a signed-in citizen takes an appeal filed'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppealContact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.OneToOneField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='contact', on_delete=OnDelete.CASCADE)),
                ('mode', fields.CharEnumField(description='PHONE: phone\nVISIT: visit\nLETTER: letter\nEMAIL: email\nOTHER: other', enum_type=ContactMode, max_length=16)),
                ('name', fields.CharField(default='', max_length=300)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('email', fields.CharField(default='', max_length=255)),
                ('postal_address', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_contact', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': "The applicant's details as they gave them to the operator: personal data, shown"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ClaimFailure',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('vmeste.User', source_field='user_id', db_constraint=True, to_field='id', related_name='claim_failures', on_delete=OnDelete.CASCADE)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appeal_claim_failure', 'app': 'vmeste', 'indexes': [Index(fields=['user_id', 'at'])], 'pk_attr': 'id', 'table_description': 'A wrong claim code entered by a user: counted against guessing.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SavedFilter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('vmeste.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='saved_filters', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('arguments', fields.JSONField(default=dict, description="The filter's arguments, as the appeals connection names them (camelCase).", encoder=JSON_DUMPS, decoder=loads)),
                ('shared_with', fields.ForeignKeyField('vmeste.Organization', source_field='shared_with_id', null=True, description="The body whose staff see the filter too, or null when it is the owner's alone.", db_constraint=True, to_field='id', related_name='saved_filters', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'appeal_saved_filter', 'app': 'vmeste', 'unique_together': (('owner', 'name'),), 'pk_attr': 'id', 'table_description': "A named set of the appeals connection's filter arguments, its owner's, and"},
            bases=['Model'],
        ),
    ]
