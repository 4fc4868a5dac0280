"""The lineage tests load and build real tables, and share what was loaded: they use
the aggregation fixtures, and the sharing ones (a published population entry, its
loaded source, the demo consumer) for deliveries."""

from tests.aggregation import conftest as aggregation
from tests.sharing import conftest as sharing

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

# The sharing fixtures: an entry granted to the demo consumer, with its source loaded.
publish_entry = sharing.publish_entry
conditional_entry = sharing.conditional_entry
source = sharing.source
consumer = sharing.consumer
as_consumer = sharing.as_consumer
