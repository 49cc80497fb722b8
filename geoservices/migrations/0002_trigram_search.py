from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Enable pg_trgm so that place-name search tolerates typos."""

    dependencies = [("geoservices", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="district",
            index=GinIndex(fields=["search_name"], name="district_name_trgm", opclasses=["gin_trgm_ops"]),
        ),
        migrations.AddIndex(
            model_name="populatedplace",
            index=GinIndex(fields=["search_name"], name="place_name_trgm", opclasses=["gin_trgm_ops"]),
        ),
    ]
