"""Official pages (issue 14): the registry, its snapshots, the compliance results and the
declarations the regional centre confirms."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from vmeste.platform.publics.models import PageStatus, ResultSource
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0012_line_announced_at')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OfficialPage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='official_pages', on_delete=OnDelete.RESTRICT)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', db_constraint=True, to_field='id', related_name='official_pages', on_delete=OnDelete.RESTRICT)),
                ('territory_path', fields.CharField(db_index=True, max_length=255)),
                ('network', fields.CharField(description='The name of the connector strategy: ``vk``, ``ok``, ``telegram``.', max_length=32)),
                ('page_ref', fields.CharField(description='The id of the page on the network, as the connector takes it.', max_length=200)),
                ('screen_name', fields.CharField(default='', max_length=200)),
                ('url', fields.CharField(default='', max_length=500)),
                ('registered_name', fields.CharField(description='The name of the body as the page must show it (``name_matches``).', max_length=500)),
                ('responsible_name', fields.CharField(default='', description='The official answering for the page (``responsible_2fa`` is declared for them).', max_length=300)),
                ('responsible_position', fields.CharField(default='', max_length=500)),
                ('token_variable', fields.CharField(default='', description='The name of the credentials the connector reads its secrets under ("" for the default).', max_length=100)),
                ('status', fields.CharEnumField(default=PageStatus.ACTIVE, db_index=True, description='ACTIVE: active\nRETIRED: retired', enum_type=PageStatus, max_length=16)),
                ('next_snapshot_at', fields.DatetimeField(null=True, db_index=True, description='When the deadline watchdog takes the next snapshot (empty for a retired page).', auto_now=False, auto_now_add=False)),
                ('created_by', fields.CharField(max_length=300)),
                ('revision', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'official_page', 'app': 'vmeste', 'unique_together': (('network', 'page_ref'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PageDeclaration',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('vmeste.OfficialPage', source_field='page_id', db_constraint=True, to_field='id', related_name='declarations', on_delete=OnDelete.RESTRICT)),
                ('rule_code', fields.CharField(max_length=64)),
                ('value', fields.BooleanField()),
                ('note', fields.TextField(default='', unique=False)),
                ('declared_by', fields.CharField(max_length=300)),
                ('declared_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed', fields.BooleanField(null=True, description='None until the regional centre decides.')),
                ('confirmed_by', fields.CharField(default='', max_length=300)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'page_declaration', 'app': 'vmeste', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PageSnapshot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('vmeste.OfficialPage', source_field='page_id', db_constraint=True, to_field='id', related_name='snapshots', on_delete=OnDelete.RESTRICT)),
                ('taken_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('profile', fields.JSONField(default=dict, description='The :class:`PageProfile` read as JSON (dates as ISO strings), {} after an error.', encoder=JSON_DUMPS, decoder=loads)),
                ('posts_in_window', fields.IntField(null=True)),
                ('error', fields.CharField(default='', description='The failure of the connector, typed and free of secrets ("" when the read succeeded).', max_length=500)),
                ('taken_by', fields.CharField(max_length=300)),
            ],
            options={'table': 'page_snapshot', 'app': 'vmeste', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ComplianceResult',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('page', fields.ForeignKeyField('vmeste.OfficialPage', source_field='page_id', db_constraint=True, to_field='id', related_name='results', on_delete=OnDelete.RESTRICT)),
                ('snapshot', fields.ForeignKeyField('vmeste.PageSnapshot', source_field='snapshot_id', db_constraint=True, to_field='id', related_name='results', on_delete=OnDelete.RESTRICT)),
                ('rule_code', fields.CharField(max_length=64)),
                ('rule_version', fields.IntField()),
                ('passed', fields.BooleanField(null=True, description='None while a declared rule awaits its confirmation.')),
                ('source', fields.CharEnumField(description='NETWORK: network\nDECLARED: declared', enum_type=ResultSource, max_length=16)),
                ('evidence', fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ('checked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'compliance_result', 'app': 'vmeste', 'indexes': [Index(fields=['page_id', 'rule_code', 'checked_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
