"""Two-character name searches through an index (a rare 鬼瓦 or a given name 権三 found inside
a name at once, where the trigram index cannot help: a two-character pattern has no
trigram, and it scanned the whole table).

Both databases index the bigrams of ``name_key || chr(31) || kana_key`` (chr(31) never
appears in a search key, so a bigram across the two never matches):

- PostgreSQL: a GIN index over an immutable function returning the bigrams, kept by the
  database itself; queried with ``madoguchi_bigrams(…) @> ARRAY[key]``. (pg_bigm, the
  extension made for this, is not in Debian; this needs no extension.)
- SQLite: a table of (bigram, application) kept by triggers on the applications table, the
  positions read from a small table of numbers (a trigger may not use a recursive query).
"""

from django.db import migrations

# The expression the index is built on; applications/queries.py filters by the same.
EXPRESSION = "madoguchi_bigrams(name_key || chr(31) || kana_key)"

POSTGRESQL = (
    """
    CREATE OR REPLACE FUNCTION madoguchi_bigrams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT substr(value, i, 2)), '{}')
        FROM generate_series(1, char_length(value) - 1) AS i
    $$
    """,
    f"CREATE INDEX IF NOT EXISTS application_name_bigrams ON applications_application"
    f" USING gin (({EXPRESSION}))",
)
POSTGRESQL_DROP = (
    "DROP INDEX IF EXISTS application_name_bigrams",
    "DROP FUNCTION IF EXISTS madoguchi_bigrams(text)",
)

_KEY = "NEW.name_key || char(31) || NEW.kana_key"
_GRAMS = (
    "INSERT OR IGNORE INTO application_name_gram (gram, application_id)"
    f" SELECT substr({_KEY}, n, 2), NEW.id FROM madoguchi_position"
    f" WHERE n < length({_KEY}) AND instr(substr({_KEY}, n, 2), char(31)) = 0;"
)
SQLITE = (
    "CREATE TABLE application_name_gram (gram TEXT NOT NULL, application_id INTEGER NOT NULL,"
    " PRIMARY KEY (gram, application_id)) WITHOUT ROWID",
    "CREATE INDEX application_name_gram_application ON application_name_gram (application_id)",
    "CREATE TABLE madoguchi_position (n INTEGER PRIMARY KEY)",
    "WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 201)"
    " INSERT INTO madoguchi_position SELECT n FROM p",
    f"CREATE TRIGGER application_name_gram_insert AFTER INSERT ON applications_application"
    f" BEGIN {_GRAMS} END",
    "CREATE TRIGGER application_name_gram_update AFTER UPDATE OF name_key, kana_key"
    " ON applications_application BEGIN"
    f" DELETE FROM application_name_gram WHERE application_id = OLD.id; {_GRAMS} END",
    "CREATE TRIGGER application_name_gram_delete AFTER DELETE ON applications_application"
    " BEGIN DELETE FROM application_name_gram WHERE application_id = OLD.id; END",
    # The applications already there.
    "INSERT OR IGNORE INTO application_name_gram (gram, application_id)"
    " SELECT substr(a.name_key || char(31) || a.kana_key, p.n, 2), a.id"
    " FROM applications_application a JOIN madoguchi_position p"
    " ON p.n < length(a.name_key || char(31) || a.kana_key)"
    " WHERE instr(substr(a.name_key || char(31) || a.kana_key, p.n, 2), char(31)) = 0",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS application_name_gram_insert",
    "DROP TRIGGER IF EXISTS application_name_gram_update",
    "DROP TRIGGER IF EXISTS application_name_gram_delete",
    "DROP TABLE IF EXISTS application_name_gram",
    "DROP TABLE IF EXISTS madoguchi_position",
)


def _run(schema_editor, by_vendor):
    statements = by_vendor.get(schema_editor.connection.vendor, ())
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL, "sqlite": SQLITE})


def drop(apps, schema_editor):
    _run(schema_editor, {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP})


class Migration(migrations.Migration):
    dependencies = [("applications", "0025_sealed_paper")]

    operations = [migrations.RunPython(create, drop)]
