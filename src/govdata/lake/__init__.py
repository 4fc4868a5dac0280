"""The lake: aggregated data stored as Delta Lake tables (decisions 0003 and 0008).

* :mod:`~govdata.lake.location` — where tables live (a directory or an S3 bucket).
* :mod:`~govdata.lake.tables` — one table: versioned writes, merge, history, time travel.
* :mod:`~govdata.lake.locks` — the one-writer-per-table lock.
* :mod:`~govdata.lake.query` — reading a version with DuckDB.
* :mod:`~govdata.lake.checksum` — an order-independent row checksum any engine can reproduce.
* :mod:`~govdata.lake.manifest` — a version's Parquet file list for an external Spark cluster.
"""
