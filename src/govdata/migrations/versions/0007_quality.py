"""quality

Data quality rule sets, runs, per-rule results and failing rows (see docs/quality.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 23:44:36.791145
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quality_rule_sets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=True),
        sa.Column("library_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_quality_rule_sets_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_quality_rule_sets_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["aggregation_sources.id"],
            name=op.f("fk_quality_rule_sets_source_id_aggregation_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rule_sets")),
        sa.UniqueConstraint("library_id", name=op.f("uq_quality_rule_sets_library_id")),
        sa.UniqueConstraint("source_id", name=op.f("uq_quality_rule_sets_source_id")),
    )
    with op.batch_alter_table("quality_rule_sets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_rule_sets_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "quality_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("rule_set_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=True),
        sa.Column("library_id", sa.String(length=36), nullable=True),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("rule_set_number", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("lake_version", sa.Integer(), nullable=True),
        sa.Column("rows_evaluated", sa.BigInteger(), nullable=False),
        sa.Column("evaluated", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_quality_runs_entry_id_catalog_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_quality_runs_library_id_libraries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_quality_runs_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_id"],
            ["quality_rule_sets.id"],
            name=op.f("fk_quality_runs_rule_set_id_quality_rule_sets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["aggregation_sources.id"],
            name=op.f("fk_quality_runs_source_id_aggregation_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_runs")),
    )
    with op.batch_alter_table("quality_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_runs_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            "ix_quality_runs_library_started", ["library_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_runs_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_quality_runs_rule_set_id"), ["rule_set_id"], unique=False
        )
        batch_op.create_index(
            "ix_quality_runs_source_started", ["source_id", "started_at"], unique=False
        )

    op.create_table(
        "quality_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("rule_code", sa.String(length=63), nullable=False),
        sa.Column("row_key", sa.JSON(), nullable=False),
        sa.Column("row_values", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quality_runs.id"],
            name=op.f("fk_quality_failures_run_id_quality_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_failures")),
    )
    with op.batch_alter_table("quality_failures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_quality_failures_run_rule", ["run_id", "rule_code", "id"], unique=False
        )

    op.create_table(
        "quality_rule_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rule_code", sa.String(length=63), nullable=False),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("sub_indicator", sa.String(length=40), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("evaluated", sa.BigInteger(), nullable=False),
        sa.Column("passed", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("failures_kept", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quality_runs.id"],
            name=op.f("fk_quality_rule_results_run_id_quality_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rule_results")),
    )
    with op.batch_alter_table("quality_rule_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quality_rule_results_run_id"), ["run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("quality_rule_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_rule_results_run_id"))

    op.drop_table("quality_rule_results")
    with op.batch_alter_table("quality_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_failures_run_rule")

    op.drop_table("quality_failures")
    with op.batch_alter_table("quality_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_runs_source_started")
        batch_op.drop_index(batch_op.f("ix_quality_runs_rule_set_id"))
        batch_op.drop_index(batch_op.f("ix_quality_runs_organisation_id"))
        batch_op.drop_index("ix_quality_runs_library_started")
        batch_op.drop_index(batch_op.f("ix_quality_runs_entry_id"))

    op.drop_table("quality_runs")
    with op.batch_alter_table("quality_rule_sets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quality_rule_sets_organisation_id"))

    op.drop_table("quality_rule_sets")
