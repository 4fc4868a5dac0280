"""JSON API routes of the organisations area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/divisions", "division_list", 200),
    ("POST", "/divisions/editions", "division_import", 201),
    ("GET", "/organisations", "organisation_tree", 200),
    ("GET", "/organisations/{id}", "organisation_show", 200),
    ("GET", "/organisation-stats", "organisation_stats", 200),
    ("GET", "/organisation-lookup/{key}", "organisation_find", 200),
    ("GET", "/organisation-options", "organisation_options", 200),
    ("POST", "/regions", "region_create", 201),
    ("POST", "/departments", "department_create", 201),
)
