"""Database plumbing: the embedded server, the pool, migrations, roles, backups.

Owns no domain table. May import: config, errors, labels (nothing of the domain packages).
"""
