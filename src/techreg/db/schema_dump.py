"""The current schema as one readable file (docs/schema.sql), so nobody replays the migrations to see a
table: pg_dump --schema-only of a freshly migrated database, without the dump's session settings and
ownership noise. tests/test_schema_doc.py keeps the file equal to what the migrations produce."""

import re
import subprocess

from .embedded import find_bin_dir

HEADER = ("-- techreg: the schema every migration in migrations/ produces, for reading (never applied).\n"
          "-- Regenerate: python -m techreg.db.schema_dump URL > docs/schema.sql  (a freshly migrated database)\n")
_NOISE = re.compile(r"^(SET |SELECT pg_catalog\.set_config|--|\\restrict|\\unrestrict|ALTER .* OWNER TO )")


def dump_schema(url: str) -> str:
    done = subprocess.run([str(find_bin_dir() / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
                           "--no-comments", url], capture_output=True, text=True, check=True)
    lines = [line for line in done.stdout.splitlines() if not _NOISE.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return HEADER + "\n" + text


if __name__ == "__main__":
    import sys

    sys.stdout.write(dump_schema(sys.argv[1]))
