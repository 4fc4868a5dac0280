"""JSON API routes of the libraries area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/libraries", "library_list", 200),
    ("POST", "/libraries", "library_create", 201),
    ("GET", "/libraries/{id}", "library_get", 200),
    ("POST", "/libraries/{library_id}/members", "library_add_member", 201),
    ("POST", "/libraries/{id}/builds", "library_build", 202),
    ("POST", "/libraries/{library_id}/query", "library_read", 200),
)
