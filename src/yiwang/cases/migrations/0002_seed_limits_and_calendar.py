from django.db import migrations


def forwards(apps, schema_editor):
    from yiwang.cases.defaults import seed

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
