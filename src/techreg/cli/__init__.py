"""`techreg` command line, one module per area; `main` is the entry point (`techreg = "techreg.cli:main"`).

common: the root group, the one error style, the database a command works on (`with_database`).
db: migrations, the embedded server, backups. registry: import, export, users, points, synthetic data, tallies.
detection: scans, detectors, flags, the outlier model. audit: the event trail, spot-check campaigns.
credit: red-line records, the batch credit check, the export for the national database.
review: the review (复核) queue. orders: orders issued by findings, the enforcement list.
statistics: the annual statistics (年度统计) workbook.
jobs: the worker and scheduled jobs. serve: the service and the demo.
"""

from . import audit, credit, db, detection, jobs, orders, registry, review, rules, serve, statistics  # noqa: F401  (each registers its commands on main)
from .common import main

__all__ = ["main"]
