"""Alembic migrations of the metadata database (run with `govdata db upgrade`)."""
