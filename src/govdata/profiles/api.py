"""JSON API routes of the profiles area: (method, path, action, status)."""

ROUTES = (
    ("POST", "/profiles/builds", "profile_build", 200),
    ("GET", "/profiles/search", "profile_search", 200),
    ("GET", "/profiles/{id}", "profile_get", 200),
)
