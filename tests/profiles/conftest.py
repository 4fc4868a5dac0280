"""The profile journeys load real sources: they share the aggregation fixtures."""

from tests.aggregation import conftest as aggregation

# The aggregation fixtures this directory uses, registered here by name.
agg_settings = aggregation.agg_settings
agg_services = aggregation.agg_services
agg_operator = aggregation.agg_operator
provider = aggregation.provider
reviewer = aggregation.reviewer
as_provider = aggregation.as_provider
as_reviewer = aggregation.as_reviewer
market = aggregation.market
entry_id = aggregation.entry_id
inbox = aggregation.inbox
run_now = aggregation.run_now
