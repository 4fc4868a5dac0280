"""subscriptions

Bulk deliveries of granted tables with their parts, the committed-version
outbox, subscriptions and their change batches (see docs/sharing.md).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sharing_bulk_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("grantee_org_id", sa.String(length=36), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("target_url", sa.Text(), nullable=True),
        sa.Column("target_table", sa.String(length=63), nullable=True),
        sa.Column("where", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("parts_total", sa.Integer(), nullable=False),
        sa.Column("parts_done", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("checksum", sa.String(length=16), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("manifest_sm3", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_by_id", sa.String(length=36), nullable=True),
        _when("created_at", nullable=False),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_bulk_deliveries_grant_id_sharing_grants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["aggregation_sources.id"],
            name=op.f("fk_sharing_bulk_deliveries_source_id_aggregation_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_bulk_deliveries")),
    )
    with op.batch_alter_table("sharing_bulk_deliveries", schema=None) as batch_op:
        for column in ("grant_id", "source_id", "grantee_org_id"):
            batch_op.create_index(
                batch_op.f(f"ix_sharing_bulk_deliveries_{column}"), [column], unique=False
            )
        batch_op.create_index(
            "ix_sharing_bulk_deliveries_status", ["status", "created_at"], unique=False
        )

    op.create_table(
        "sharing_delivery_parts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("row_start", sa.BigInteger(), nullable=False),
        sa.Column("row_end", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=16), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        _when("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["sharing_bulk_deliveries.id"],
            name=op.f("fk_sharing_delivery_parts_delivery_id_sharing_bulk_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_delivery_parts")),
        sa.UniqueConstraint(
            "delivery_id", "number", name=op.f("uq_sharing_delivery_parts_delivery_id_number")
        ),
    )
    with op.batch_alter_table("sharing_delivery_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_delivery_parts_delivery_id"), ["delivery_id"], unique=False
        )

    op.create_table(
        "sharing_committed_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _when("committed_at", nullable=False),
        _when("dispatched_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_committed_versions")),
    )
    with op.batch_alter_table("sharing_committed_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_committed_versions_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_committed_versions_dispatched_at"),
            ["dispatched_at"],
            unique=False,
        )

    op.create_table(
        "sharing_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("grantee_org_id", sa.String(length=36), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column("start_version", sa.Integer(), nullable=False),
        sa.Column("batched_version", sa.Integer(), nullable=False),
        sa.Column("acked_version", sa.Integer(), nullable=False),
        sa.Column("next_sequence", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _when("created_at", nullable=False),
        _when("last_ack_at", nullable=True),
        _when("flagged_at", nullable=True),
        _when("cancelled_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["sharing_grants.id"],
            name=op.f("fk_sharing_subscriptions_grant_id_sharing_grants"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["aggregation_sources.id"],
            name=op.f("fk_sharing_subscriptions_source_id_aggregation_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_subscriptions")),
    )
    with op.batch_alter_table("sharing_subscriptions", schema=None) as batch_op:
        for column in ("grant_id", "source_id", "grantee_org_id"):
            batch_op.create_index(
                batch_op.f(f"ix_sharing_subscriptions_{column}"), [column], unique=False
            )

    op.create_table(
        "sharing_change_batches",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        _when("created_at", nullable=False),
        _when("delivered_at", nullable=True),
        _when("acked_at", nullable=True),
        sa.Column("stream_sequence", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["sharing_subscriptions.id"],
            name=op.f("fk_sharing_change_batches_subscription_id_sharing_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_change_batches")),
        sa.UniqueConstraint(
            "subscription_id",
            "sequence",
            name=op.f("uq_sharing_change_batches_subscription_id_sequence"),
        ),
    )
    with op.batch_alter_table("sharing_change_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_change_batches_subscription_id"),
            ["subscription_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_sharing_change_batches_pending",
            ["subscription_id", "status", "sequence"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("sharing_change_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_change_batches_pending")
        batch_op.drop_index(batch_op.f("ix_sharing_change_batches_subscription_id"))
    op.drop_table("sharing_change_batches")
    with op.batch_alter_table("sharing_subscriptions", schema=None) as batch_op:
        for column in ("grant_id", "source_id", "grantee_org_id"):
            batch_op.drop_index(batch_op.f(f"ix_sharing_subscriptions_{column}"))
    op.drop_table("sharing_subscriptions")
    with op.batch_alter_table("sharing_committed_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_committed_versions_dispatched_at"))
        batch_op.drop_index(batch_op.f("ix_sharing_committed_versions_source_id"))
    op.drop_table("sharing_committed_versions")
    with op.batch_alter_table("sharing_delivery_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_delivery_parts_delivery_id"))
    op.drop_table("sharing_delivery_parts")
    with op.batch_alter_table("sharing_bulk_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_bulk_deliveries_status")
        for column in ("grant_id", "source_id", "grantee_org_id"):
            batch_op.drop_index(batch_op.f(f"ix_sharing_bulk_deliveries_{column}"))
    op.drop_table("sharing_bulk_deliveries")
