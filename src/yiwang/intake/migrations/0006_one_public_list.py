"""One list of what the public may report: PublicService, each entry under a tile.

Before this, the report page read PublicType (a type under a tile, a plainer name, a
position) and Open311 read PublicService. The PublicType rows move into PublicService, then
PublicType goes:

- a type only the report page offered becomes a PublicService entry with its tile, name,
  switch and — as `order` — its place in the page's tile order (one running number);
- a type both offered keeps its Open311 entry (name, description, keywords, group,
  questions, order), gains the tile, takes the page's name when it had none, and stays
  open only if both lists had it open (an administrator's 停用 in either one is kept);
- a type only Open311 offered goes under the default tile of its major class
  (public_defaults), so the report page now offers it too.
"""

from django.db import migrations, models
from django.utils import timezone


def one_list(apps, schema_editor):
    from yiwang.intake.public_defaults import default_tile

    PublicType = apps.get_model("intake", "PublicType")
    PublicService = apps.get_model("intake", "PublicService")
    PublicCategory = apps.get_model("intake", "PublicCategory")
    now = timezone.now()
    services = {s.type_id: s for s in PublicService.objects.select_related("type")}
    page_types = PublicType.objects.order_by("category__position", "category_id", "position", "id")
    new = []
    for sequence, page_type in enumerate(page_types, start=1):
        service = services.pop(page_type.object_type_id, None)
        if service is None:
            new.append(
                PublicService(
                    type_id=page_type.object_type_id,
                    category_id=page_type.category_id,
                    name=page_type.name,
                    order=sequence,
                    is_active=page_type.is_active,
                    updated_at=now,
                )
            )
            continue
        service.category_id = page_type.category_id
        service.name = service.name or page_type.name
        service.is_active = service.is_active and page_type.is_active
        service.updated_at = now
        service.save(update_fields=["category", "name", "is_active", "updated_at"])
    PublicService.objects.bulk_create(new)
    for service in services.values():
        service.category = default_tile(PublicCategory, service.type.major_code)
        service.updated_at = now
        service.save(update_fields=["category", "updated_at"])
    if schema_editor.connection.vendor == "postgresql":
        # The foreign keys are checked at commit (deferred): check them now, or PostgreSQL
        # refuses to alter the table below with "pending trigger events".
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_video"),
    ]

    operations = [
        migrations.AddField(
            model_name="publicservice",
            name="category",
            field=models.ForeignKey(
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="services",
                to="intake.publiccategory",
                verbose_name="大类",
            ),
        ),
        migrations.RunPython(one_list, migrations.RunPython.noop, elidable=False),
        migrations.DeleteModel(name="PublicType"),
        migrations.AlterField(
            model_name="publicservice",
            name="category",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT,
                related_name="services",
                to="intake.publiccategory",
                verbose_name="大类",
            ),
        ),
    ]
