"""JSON API routes of the data elements area: (method, path, action, status)."""

ROUTES = (
    ("GET", "/elements", "element_list", 200),
    ("POST", "/elements", "element_define", 200),
    ("GET", "/elements/conformance/entries/{entry_id}", "element_check_entry", 200),
    ("GET", "/elements/conformance/sources/{source_id}", "element_check_source", 200),
)
