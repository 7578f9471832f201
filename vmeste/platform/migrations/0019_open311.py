from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0018_widgets')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Open311Client',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('key_prefix', fields.CharField(description="The key's first characters, to recognise it in a list.", max_length=16)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', null=True, description="Where a request that gives only an address string is filed (a city's own app).", db_constraint=True, to_field='id', related_name='open311_clients', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.CharField(max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_by', fields.CharField(null=True, max_length=300)),
            ],
            options={'table': 'open311_client', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'A client application allowed to file requests (``api_key``).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Open311Request',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.OneToOneField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='open311', on_delete=OnDelete.RESTRICT)),
                ('client', fields.ForeignKeyField('vmeste.Open311Client', source_field='client_id', db_constraint=True, to_field='id', related_name='requests', on_delete=OnDelete.RESTRICT)),
                ('service_code', fields.CharField(max_length=64)),
                ('address_string', fields.CharField(default='', max_length=500)),
                ('address_id', fields.CharField(default='', max_length=64)),
                ('latitude', fields.FloatField(null=True)),
                ('longitude', fields.FloatField(null=True)),
                ('media_url', fields.CharField(default='', max_length=2000)),
                ('attributes', fields.JSONField(default=dict, description='attribute code to its value (a list for a multivaluelist)', encoder=JSON_DUMPS, decoder=loads)),
                ('email', fields.CharField(default='', max_length=255)),
                ('first_name', fields.CharField(default='', max_length=255)),
                ('last_name', fields.CharField(default='', max_length=255)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('device_id', fields.CharField(default='', max_length=255)),
                ('account_id', fields.CharField(default='', max_length=255)),
                ('requested_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'open311_request', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': 'What an Open311 request said beyond its appeal, kept as given.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Category',
            name='attributes',
            field=fields.JSONField(null=True, description='What a request in this category asks beyond its text, null for nothing.', encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Category',
            name='keywords',
            field=fields.JSONField(null=True, description='Words a citizen may search the category by (Open311 keywords), null for none.', encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
