from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from vmeste.platform.attachments.models import ScanState
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('vmeste', '0016_appeal_statistics')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('uploader', fields.ForeignKeyField('vmeste.User', source_field='uploader_id', db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.RESTRICT)),
                ('parent_kind', fields.CharField(null=True, description='The kind of object it belongs to (appeal, appeal_answer, proposal, incident)', max_length=32)),
                ('parent_id', fields.IntField(null=True)),
                ('storage', fields.CharField(description='The storage strategy holding the bytes, so a download finds them after a change', max_length=64)),
                ('storage_key', fields.CharField(max_length=500)),
                ('content_type', fields.CharField(description="Detected from the bytes, never the client's word", max_length=128)),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(description="Of the stored bytes (an image's are the re-encoded ones)", max_length=64)),
                ('name', fields.CharField(max_length=255)),
                ('thumbnail_key', fields.CharField(null=True, max_length=500)),
                ('scan_state', fields.CharEnumField(description='NOT_SCANNED: not_scanned\nCLEAN: clean', enum_type=ScanState, max_length=16)),
                ('scanned_by', fields.CharField(default='', description='The scan strategies that passed it, comma-separated', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('attached_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sweep_after', fields.DatetimeField(null=True, description='When an unattached upload is swept, null once attached', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'attachment', 'app': 'vmeste', 'indexes': [Index(fields=['parent_kind', 'parent_id']), Index(fields=['sweep_after']), Index(fields=['uploader_id', 'parent_id'])], 'pk_attr': 'id', 'table_description': 'One uploaded file: unattached (parent null) until a step attaches it, then'},
            bases=['Model'],
        ),
    ]
