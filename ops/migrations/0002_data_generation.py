"""A data generation number that PostgreSQL bumps on every write to the search data.

Web processes keep the search catalogue (needs, facilities, insurance terms,
eligibility rules) in memory and rebuild it when this number changes, so one
cheap read per request replaces a dozen queries. Statement-level triggers bump
it on INSERT, UPDATE, DELETE and TRUNCATE, which also covers bulk loaders,
``QuerySet.update`` and raw SQL that Django signals would miss.

The number is a row, so a rolled-back write rolls it back as well, and each
bump takes a fresh value from a sequence, so two transactions never publish
the same number for different data.
"""
from django.db import migrations

#: Tables whose contents web processes copy into memory.
WATCHED_TABLES = (
    "geoservices_department",
    "geoservices_province",
    "geoservices_district",
    "geoservices_facility",
    "geoservices_facilityservice",
    "geoservices_service",
    "geoservices_need",
    "geoservices_need_services",
    "geoservices_insuranceacceptance",
    "matcher_programme",
    "matcher_eligibilityrule",
    "routing_roadregion",
)

CREATE = """
CREATE SEQUENCE ops_data_generation_seq;
CREATE TABLE ops_data_generation (
    id smallint PRIMARY KEY CHECK (id = 1),
    value bigint NOT NULL
);
INSERT INTO ops_data_generation (id, value) VALUES (1, nextval('ops_data_generation_seq'));
CREATE FUNCTION ops_bump_data_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ops_data_generation SET value = nextval('ops_data_generation_seq') WHERE id = 1;
    RETURN NULL;
END;
$$;
"""

DROP = """
DROP FUNCTION ops_bump_data_generation() CASCADE;
DROP TABLE ops_data_generation;
DROP SEQUENCE ops_data_generation_seq;
"""


def trigger_sql(table: str) -> str:
    return (
        f"CREATE TRIGGER {table}_bump_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION ops_bump_data_generation();"
    )


class Migration(migrations.Migration):

    dependencies = [
        ("ops", "0001_initial"),
        ("geoservices", "0004_import_records"),
        ("matcher", "0003_search_impression"),
        ("routing", "0002_surfaces"),
    ]

    operations = [
        migrations.RunSQL(CREATE, DROP),
        *(migrations.RunSQL(trigger_sql(table), f"DROP TRIGGER {table}_bump_generation ON {table};")
          for table in WATCHED_TABLES),
    ]
