"""Ship GB/T 30428.4's scheme as version 1 of code ``gbt-30428.4``, current."""

import copy

from django.db import migrations


def forwards(apps, schema_editor):
    from yiwang.evaluation.scheme import GBT_30428_4

    Scheme = apps.get_model("evaluation", "Scheme")
    if not Scheme.objects.filter(code="gbt-30428.4").exists():
        Scheme.objects.create(
            code="gbt-30428.4",
            version=1,
            name="GB/T 30428.4 标准方案",
            definition=copy.deepcopy(GBT_30428_4),
            note="随系统提供；区域按期结案率权重 W 取 40%",
            is_current=not Scheme.objects.filter(is_current=True).exists(),
        )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
