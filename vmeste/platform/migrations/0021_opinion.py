from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from vmeste.platform.widgets.models import WidgetKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0020_datarights')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WidgetOpinionSubmission',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.CharField(unique=True, max_length=64)),
                ('widget', fields.ForeignKeyField('vmeste.Widget', source_field='widget_id', db_constraint=True, to_field='id', related_name='opinion_submissions', on_delete=OnDelete.RESTRICT)),
                ('origin', fields.CharField(max_length=255)),
                ('counted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'widget_opinion_submission', 'app': 'vmeste', 'pk_attr': 'id', 'table_description': "A poll response or a ballot counted as an opinion widget's submission, by its own"},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Widget',
            name='kind',
            field=fields.CharEnumField(default=WidgetKind.APPEAL, description='APPEAL: appeal\nOPINION: opinion', enum_type=WidgetKind, max_length=16),
        ),
        ops.AddField(
            model_name='Widget',
            name='poll_ids',
            field=fields.JSONField(default=list, description="An opinion widget's chosen polls (ids), empty for every open poll of its territory.", encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Widget',
            name='vote_ids',
            field=fields.JSONField(default=list, description="An opinion widget's chosen votes (ids), empty for every open vote of its territory.", encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
