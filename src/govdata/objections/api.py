"""JSON API routes of the objections area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/objections", "objection_list", 200),
    ("POST", "/objections", "objection_file", 201),
    ("GET", "/objections/{id}", "objection_get", 200),
    ("POST", "/objections/{id}/answer", "objection_answer", 200),
    ("POST", "/objections/{id}/accept", "objection_accept", 200),
    ("POST", "/objections/{id}/dispute", "objection_dispute", 200),
    ("POST", "/objections/{id}/escalate", "objection_escalate", 200),
    ("POST", "/objections/{id}/resolve", "objection_resolve", 200),
)
