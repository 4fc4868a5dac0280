"""JSON API routes of the quality area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/quality/rules", "quality_rules_get", 200),
    ("PUT", "/quality/rules", "quality_rules_set", 200),
    ("POST", "/quality/runs", "quality_run_start", 201),
    ("GET", "/quality/runs", "quality_run_list", 200),
    ("GET", "/quality/runs/{id}", "quality_run_get", 200),
    ("GET", "/quality/runs/{run_id}/failures", "quality_failures", 200),
    ("GET", "/quality/scores", "quality_scores", 200),
)
