"""JSON API routes of the ledger: (method, path, action, status)."""

ROUTES = (
    ("GET", "/ledger/entries", "ledger_entries", 200),
    ("GET", "/ledger/entries/{index}", "ledger_entry", 200),
    ("GET", "/ledger/checkpoints/latest", "ledger_checkpoint_latest", 200),
    ("GET", "/ledger/consistency", "ledger_consistency", 200),
)
