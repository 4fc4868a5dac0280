"""JSON API routes of the verification area: (method, path, action, status)."""

ROUTES = (
    ("PUT", "/verification/authorities", "verification_authority_set", 200),
    ("GET", "/verification/authorities", "verification_authority_list", 200),
    ("POST", "/verification/runs", "verification_run_start", 201),
    ("GET", "/verification/runs", "verification_run_list", 200),
    ("GET", "/verification/runs/{id}", "verification_run_get", 200),
    ("GET", "/verification/runs/{run_id}/conflicts", "verification_conflicts", 200),
    ("POST", "/verification/duplicates", "duplicate_scan", 201),
    ("GET", "/verification/duplicates", "duplicate_list", 200),
)
