"""JSON API routes of the accounts area (login and logout are in web/api.py: they set cookies)."""

ROUTES = (
    ("GET", "/users", "user_list", 200),
    ("POST", "/users", "user_create", 201),
    ("GET", "/users/{id}", "user_show", 200),
    ("POST", "/users/{id}/status", "user_set_active", 200),
    ("POST", "/role-assignments", "role_grant", 201),
    ("DELETE", "/role-assignments/{id}", "role_revoke", 200),
    ("POST", "/password", "password_change", 200),
    ("GET", "/applications", "application_list", 200),
    ("POST", "/applications", "application_create", 201),
    ("GET", "/applications/{id}", "application_show", 200),
    ("POST", "/applications/{id}/status", "application_set_active", 200),
    ("POST", "/api-keys", "api_key_create", 201),
    ("DELETE", "/api-keys/{key_id}", "api_key_revoke", 200),
)
