"""JSON API routes of the catalog area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/catalog/entries", "entry_list", 200),
    ("POST", "/catalog/entries", "entry_create", 201),
    ("GET", "/catalog/entries/{id}", "entry_show", 200),
    ("PUT", "/catalog/entries/{id}", "entry_update", 200),
    ("GET", "/catalog/entries/{id}/precheck", "entry_precheck", 200),
    ("POST", "/catalog/entries/{id}/submission", "entry_submit", 200),
    ("POST", "/catalog/entries/{id}/review", "entry_review", 200),
    ("POST", "/catalog/entries/{id}/revision", "entry_revise", 201),
    ("GET", "/catalog/entries/{id}/versions/{number}", "entry_version_show", 200),
    ("GET", "/catalog/entries/{id}/versions/{number}/changes", "entry_compare", 200),
    ("GET", "/catalog/review-queue", "review_queue", 200),
    ("GET", "/catalog/search", "catalog_search", 200),
    ("GET", "/catalog/ledger", "catalog_ledger", 200),
    ("GET", "/catalog/export", "entry_export", 200),
    ("GET", "/catalog/systems", "system_list", 200),
    ("POST", "/catalog/systems", "system_register", 201),
    ("GET", "/catalog/deadlines", "catalog_deadlines", 200),
    ("POST", "/catalog/obligations", "obligation_create", 201),
    ("POST", "/catalog/index/rebuild", "catalog_reindex", 200),
)
