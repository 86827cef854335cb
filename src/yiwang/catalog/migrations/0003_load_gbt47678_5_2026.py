from django.db import migrations


def forwards(apps, schema_editor):
    from yiwang.catalog.loader import load_catalog

    load_catalog(apps.get_model("catalog", "ObjectType"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
