"""What a bulk delivery read and wrote, in the terms of OpenLineage run events (G5).

A bulk delivery (S3) is a run of the job ``sharing.delivery.<table>.<grant
number>``: every delivery of one table under one grant is a run of the same
job, its run id the delivery's id.

* **input**: the lake table (namespace the lake's location, as a load's output)
  with the version delivered (``version`` facet);
* **output**: the delivered dataset, named like any other: files are namespace
  the deliveries directory (``file:///…/deliveries``), name the delivery's id
  (its folder: the parts and ``manifest.json``); rows written into the
  grantee's database, whose address is stored sealed, are ``sql://sealed``,
  ``<delivery id>.<table>`` (lineage never carries a secret);
* **column lineage**: each delivered column from the table's column of the same
  name, ``IDENTITY`` when delivered as stored, ``MASKED`` when masked as
  granted. At ``START`` the columns are the grant's; at the end, the ones
  actually delivered;
* **run facet** ``govdata_delivery`` (ours): the grant, the grantee, the target
  and, once done, the row checksum and the manifest's digests.
"""

from __future__ import annotations

import attr
from openlineage.client.facet_v2 import RunFacet
from sqlalchemy.orm import Session

from govdata.aggregation.models import Source
from govdata.aggregation.store import declared_columns
from govdata.lineage.openlineage import ColumnOrigin, InputRef, RunLineage
from govdata.lineage.runs import lake_namespace
from govdata.settings import Settings
from govdata.sharing.delivery_models import BulkDelivery
from govdata.sharing.models import Grant
from govdata.sharing.reads import granted_columns

DELIVERY_FACET_SCHEMA = "urn:govdata:openlineage:facet:delivery:1"
SEALED_DATABASE = "sql://sealed"


@attr.define
class DeliveryRunFacet(RunFacet):
    """The grant a bulk delivery was made under, to whom and where (govdata's own facet)."""

    grantId: str  # noqa: N815 (OpenLineage field naming)
    grantNumber: str  # noqa: N815
    granteeOrgId: str  # noqa: N815
    target: str
    checksum: str | None = None
    manifestSha256: str | None = None  # noqa: N815
    manifestSm3: str | None = None  # noqa: N815

    @staticmethod
    def _get_schema() -> str:
        return DELIVERY_FACET_SCHEMA


def delivery_dataset(settings: Settings, delivery: BulkDelivery) -> tuple[str, str]:
    """The (namespace, name) of what a delivery writes."""
    if delivery.target == "files":
        return settings.deliveries_dir.resolve().as_uri(), delivery.id
    return SEALED_DATABASE, f"{delivery.id}.{delivery.target_table}"


def _delivered_columns(delivery: BulkDelivery, grant: Grant, source: Source) -> dict[str, str]:
    """Delivered column → its masking strategy (``clear`` when delivered as stored)."""
    if delivery.columns:
        return {name: delivery.masked.get(name, "clear") for name in delivery.columns}
    return granted_columns(grant, declared_columns(source))


def delivery_lineage(
    session: Session, settings: Settings, delivery: BulkDelivery
) -> RunLineage | None:
    """The lineage of a bulk delivery (None if its grant or source is gone)."""
    grant = session.get(Grant, delivery.grant_id)
    source = session.get(Source, delivery.source_id)
    if grant is None or source is None:
        return None
    lake = lake_namespace(settings)
    types = {column.name: column for column in declared_columns(source)}
    columns = [
        ColumnOrigin(
            column=name,
            column_type=types[name].type.value if name in types else "string",
            description=types[name].label if name in types else "",
            inputs=[(lake, source.table_name, name)],
            transformation_type="IDENTITY" if strategy == "clear" else "MASKED",
        )
        for name, strategy in _delivered_columns(delivery, grant, source).items()
    ]
    namespace, name = delivery_dataset(settings, delivery)
    return RunLineage(
        run_id=delivery.id,
        job_name=f"sharing.delivery.{source.table_name}.{grant.number}",
        inputs=[InputRef(lake, source.table_name, delivery.version)],
        output_namespace=namespace,
        output_name=name,
        columns=columns,
        transformation="共享交付：授权字段按授权方式遮蔽，仅交付授权行范围内的行",
        run_facets={
            "govdata_delivery": DeliveryRunFacet(
                grantId=grant.id,
                grantNumber=grant.number,
                granteeOrgId=delivery.grantee_org_id,
                target=delivery.target,
                checksum=delivery.checksum,
                manifestSha256=delivery.manifest_sha256,
                manifestSm3=delivery.manifest_sm3,
            )
        },
    )
