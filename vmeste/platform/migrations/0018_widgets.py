from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from vmeste.platform.widgets.models import WidgetKind, WidgetStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0017_attachments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Widget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('public_key', fields.CharField(unique=True, description="What the embed snippet names: random, so a widget's number is not guessable.", max_length=32)),
                ('kind', fields.CharEnumField(default=WidgetKind.APPEAL, description='APPEAL: appeal', enum_type=WidgetKind, max_length=16)),
                ('organization', fields.ForeignKeyField('vmeste.Organization', source_field='organization_id', null=True, description="The body whose site holds the widget (empty for a municipality's own widget).", db_constraint=True, to_field='id', related_name='widgets', on_delete=OnDelete.RESTRICT)),
                ('territory', fields.ForeignKeyField('vmeste.Territory', source_field='territory_id', description="Where the widget's map is drawn: the body's territory or the municipality.", db_constraint=True, to_field='id', related_name='widgets', on_delete=OnDelete.RESTRICT)),
                ('territory_path', fields.CharField(db_index=True, max_length=255)),
                ('title', fields.CharField(max_length=200)),
                ('intro', fields.TextField(default='', unique=False)),
                ('language', fields.CharField(default='', description='``ru`` or ``en``, or empty to follow the browser.', max_length=8)),
                ('colour', fields.CharField(default='#1f5fbf', max_length=7)),
                ('category_codes', fields.JSONField(default=list, description='The category codes the form offers, in the order shown.', encoder=JSON_DUMPS, decoder=loads)),
                ('allowed_origins', fields.JSONField(default=list, description='The site origins allowed to frame the widget (CSP frame-ancestors).', encoder=JSON_DUMPS, decoder=loads)),
                ('status', fields.CharEnumField(default=WidgetStatus.ACTIVE, db_index=True, description='ACTIVE: active\nRETIRED: retired', enum_type=WidgetStatus, max_length=16)),
                ('created_by', fields.CharField(max_length=300)),
                ('revision', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'widget', 'app': 'vmeste', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WidgetPlacement',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('widget', fields.ForeignKeyField('vmeste.Widget', source_field='widget_id', db_constraint=True, to_field='id', related_name='placements', on_delete=OnDelete.RESTRICT)),
                ('origin', fields.CharField(max_length=255)),
                ('day', fields.DateField()),
                ('opens', fields.IntField(default=0)),
                ('submissions', fields.IntField(default=0)),
            ],
            options={'table': 'widget_placement', 'app': 'vmeste', 'unique_together': (('widget_id', 'origin', 'day'),), 'pk_attr': 'id', 'table_description': "One site's use of a widget on one day (the origin as the loader reports it)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WidgetSubmission',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('appeal', fields.OneToOneField('vmeste.Appeal', source_field='appeal_id', db_constraint=True, to_field='id', related_name='widget_submission', on_delete=OnDelete.RESTRICT)),
                ('widget', fields.ForeignKeyField('vmeste.Widget', source_field='widget_id', db_constraint=True, to_field='id', related_name='submissions', on_delete=OnDelete.RESTRICT)),
                ('origin', fields.CharField(max_length=255)),
                ('counted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'widget_submission', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': "An appeal counted as a widget's submission, so a report repeated counts once."},
            bases=['Model'],
        ),
    ]
