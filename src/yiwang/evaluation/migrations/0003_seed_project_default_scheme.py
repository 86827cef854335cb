"""Ship the project's default scheme, ``yiwang-default`` version 1: GB/T 30428.4 for every
subject it covers plus a composite for 处置人员 (which the standard does not give). It takes
over as current only from the untouched shipped ``gbt-30428.4@1`` (same scores for every
other kind); ``gbt-30428.4@1`` itself is not changed."""

from django.db import migrations


def forwards(apps, schema_editor):
    from yiwang.evaluation.loader import ensure_default_scheme

    ensure_default_scheme(apps.get_model("evaluation", "Scheme"))


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_seed_gbt_30428_4")]
    # Not undone on the way back, as 0002: versions are never deleted (results name them),
    # and the post_migrate loader (`EvaluationConfig`) would write it again anyway.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
