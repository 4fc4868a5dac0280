"""JSON API routes of the aggregation area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/aggregation/sources", "source_list", 200),
    ("POST", "/aggregation/sources", "source_register", 201),
    ("GET", "/aggregation/sources/{id}", "source_get", 200),
    ("PATCH", "/aggregation/sources/{id}", "source_update", 200),
    ("GET", "/aggregation/sources/{id}/schema-changes", "source_schema_changes", 200),
    ("GET", "/aggregation/sources/{id}/versions", "version_list", 200),
    ("GET", "/aggregation/sources/{source_id}/manifest", "version_manifest", 200),
    ("POST", "/aggregation/sources/{source_id}/query", "data_read", 200),
    ("POST", "/aggregation/sources/{source_id}/runs", "run_start", 202),
    ("GET", "/aggregation/runs", "run_list", 200),
    ("GET", "/aggregation/runs/{id}", "run_get", 200),
    ("POST", "/aggregation/runs/{id}/retry", "run_retry", 202),
    ("GET", "/aggregation/runs/{run_id}/quarantine", "quarantine_page", 200),
)
