"""Create the "planner" group with the permission to use the planning pages."""
from django.db import migrations

GROUP_NAME = "planner"
PERMISSION = "access_planning"


def create_group(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    # Django creates permissions only after all migrations have run, so the
    # group's permission is created here; the later pass finds it and skips it.
    content_type, _created = ContentType.objects.get_or_create(app_label="planning", model="coveragerun")
    permission, _created = Permission.objects.get_or_create(
        codename=PERMISSION, content_type=content_type, defaults={"name": "Can use the planning pages and API"}
    )
    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
