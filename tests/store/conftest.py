"""Store tests run on a fresh SQLite file and a fresh PostgreSQL database each:
the ``db_url`` fixture is the suite's own, in ``tests/conftest.py``."""
