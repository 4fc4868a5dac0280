"""The aggregation fixtures (a published entry, a lake of the test's own, runs)."""

from tests.aggregation.conftest import (  # noqa: F401 (fixtures)
    agg_operator,
    agg_services,
    agg_settings,
    as_provider,
    as_reviewer,
    entry_id,
    inbox,
    market,
    provider,
    reviewer,
    run_now,
)
