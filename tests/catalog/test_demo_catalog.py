"""The demo catalog: every state of the workflow, loaded through the actions, once."""

from __future__ import annotations

from govdata.actions import ActionRegistry, Context
from govdata.catalog.demo import DEMO_ENTRIES, load_demo_catalog


def test_the_demo_catalog_holds_entries_in_every_state_and_loads_once(
    registry: ActionRegistry, operator_ctx: Context
) -> None:
    def run(name: str, data: dict[str, object]) -> object:
        return registry.run(name, operator_ctx, data)

    first = load_demo_catalog(operator_ctx, run)
    assert first == {"published": 5, "submitted": 1, "returned": 1, "draft": 1, "systems": 7}
    assert sum(first[s] for s in ("published", "submitted", "returned", "draft")) == len(
        DEMO_ENTRIES
    )
    again = load_demo_catalog(operator_ctx, run)
    assert again == {"published": 0, "submitted": 0, "returned": 0, "draft": 0, "systems": 0}
    ledger = registry.run("catalog_ledger", operator_ctx, {})
    assert ledger.entries == 5
