"""Database plumbing: embedded server, pool, migrations, unit-of-work."""
