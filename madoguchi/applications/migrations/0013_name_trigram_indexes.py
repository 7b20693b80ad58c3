"""Trigram indexes for the name search's "anywhere in the name" (PostgreSQL with pg_trgm).

Created only where the database user may create the extension (or it exists already); the
search works without them, reading the columns instead. SQLite has no such index.
"""

from django.db import migrations

INDEXES = (
    "CREATE INDEX IF NOT EXISTS application_name_trgm ON applications_application"
    " USING gin (name_key gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS application_kana_trgm ON applications_application"
    " USING gin (kana_key gin_trgm_ops)",
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SAVEPOINT trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:  # noqa: BLE001 (no privilege: the search reads the columns)
                cursor.execute("ROLLBACK TO SAVEPOINT trgm")
                return
            cursor.execute("RELEASE SAVEPOINT trgm")
        for statement in INDEXES:
            cursor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS application_name_trgm")
        cursor.execute("DROP INDEX IF EXISTS application_kana_trgm")


class Migration(migrations.Migration):
    dependencies = [("applications", "0012_application_read")]

    operations = [migrations.RunPython(create, drop)]
