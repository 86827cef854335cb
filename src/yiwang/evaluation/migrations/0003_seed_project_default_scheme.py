"""Ship the project's default scheme, ``yiwang-default`` version 1: GB/T 30428.4 for every
subject it covers plus a composite for 处置人员 (which the standard does not give). It takes
over as current only from the untouched shipped ``gbt-30428.4@1`` (same scores for every
other kind); ``gbt-30428.4@1`` itself is not changed."""

from django.db import migrations


def forwards(apps, schema_editor):
    from yiwang.evaluation.loader import ensure_default_scheme

    ensure_default_scheme(apps.get_model("evaluation", "Scheme"))


def backwards(apps, schema_editor):
    # The seed goes away only while nobody revised it; the standard's version becomes
    # current again if the seed was.
    Scheme = apps.get_model("evaluation", "Scheme")
    seed = Scheme.objects.filter(code="yiwang-default", version=1, created_by__isnull=True)
    seed = seed.first()
    if seed is None or Scheme.objects.filter(code="yiwang-default", version__gt=1).exists():
        return
    was_current = seed.is_current
    seed.delete()
    if was_current:
        Scheme.objects.filter(code="gbt-30428.4", version=1).update(is_current=True)


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_seed_gbt_30428_4")]
    operations = [migrations.RunPython(forwards, backwards)]
