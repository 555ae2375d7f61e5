"""`python -m techreg.cli …`, as the tests and techreg.testing run it."""

from . import main

main()
