# Photos named by their content's digest (photos/ab/cd/<sha256>.<ext>), shared between rows.

import yiwang.cases.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_merge'),
    ]

    operations = [
        migrations.AlterField(
            model_name='casephoto',
            name='file',
            field=models.FileField(max_length=200, upload_to=yiwang.cases.models.photo_file_name, verbose_name='文件'),
        ),
        migrations.AlterField(
            model_name='casephoto',
            name='sha256',
            field=models.CharField(db_index=True, max_length=64),
        ),
    ]
