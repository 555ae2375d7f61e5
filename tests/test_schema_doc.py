"""docs/schema.sql is the schema the migrations produce: a new migration regenerates it."""

from pathlib import Path

from techreg.db.schema_dump import dump_schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "schema.sql"


def test_docs_schema_sql_is_what_the_migrations_produce(empty_database):
    current = dump_schema(empty_database)
    assert DOC.read_text(encoding="utf-8") == current, (
        "docs/schema.sql is out of date: python -m techreg.db.schema_dump URL > docs/schema.sql")
