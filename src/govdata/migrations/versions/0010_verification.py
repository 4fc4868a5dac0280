"""verification

Multi-source verification and duplicate collection detection: authoritative
sources, comparison runs with per-field counts and sealed conflicts, duplicate
scans and the pairs they found (see docs/verification.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _organisation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["organisation_id"],
        ["organisations.id"],
        name=op.f(f"fk_{table}_organisation_id_organisations"),
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    op.create_table(
        "verification_authorities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=True),
        sa.Column("library_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _organisation_fk("verification_authorities"),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["aggregation_sources.id"],
            name=op.f("fk_verification_authorities_source_id_aggregation_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["library_id"],
            ["libraries.id"],
            name=op.f("fk_verification_authorities_library_id_libraries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_authorities")),
        sa.UniqueConstraint(
            "organisation_id",
            "subject_kind",
            "field",
            name="uq_verification_authorities_scope_field",
        ),
    )
    for column in ("organisation_id", "source_id", "library_id"):
        op.create_index(
            op.f(f"ix_verification_authorities_{column}"), "verification_authorities", [column]
        )
    op.create_table(
        "verification_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("authorities", sa.JSON(), nullable=False),
        sa.Column("sample_limit", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("keys_total", sa.BigInteger(), nullable=False),
        sa.Column("conflicts_total", sa.BigInteger(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        _organisation_fk("verification_runs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_runs")),
    )
    op.create_index(
        op.f("ix_verification_runs_organisation_id"), "verification_runs", ["organisation_id"]
    )
    op.create_index(op.f("ix_verification_runs_status"), "verification_runs", ["status"])
    op.create_table(
        "verification_field_stats",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("tables", sa.JSON(), nullable=False),
        sa.Column("authority", sa.Integer(), nullable=True),
        sa.Column("keys", sa.BigInteger(), nullable=False),
        sa.Column("compared", sa.BigInteger(), nullable=False),
        sa.Column("agreeing", sa.BigInteger(), nullable=False),
        sa.Column("conflicting", sa.BigInteger(), nullable=False),
        sa.Column("missing", sa.BigInteger(), nullable=False),
        sa.Column("resolved", sa.BigInteger(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["verification_runs.id"],
            name=op.f("fk_verification_field_stats_run_id_verification_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_field_stats")),
    )
    op.create_index(
        op.f("ix_verification_field_stats_run_id"), "verification_field_stats", ["run_id"]
    )
    op.create_table(
        "verification_conflicts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key_value", sa.LargeBinary(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("authority", sa.Integer(), nullable=True),
        sa.Column("resolved_value", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["verification_runs.id"],
            name=op.f("fk_verification_conflicts_run_id_verification_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_conflicts")),
    )
    op.create_index(op.f("ix_verification_conflicts_run_id"), "verification_conflicts", ["run_id"])
    op.create_index(
        "ix_verification_conflicts_run_field",
        "verification_conflicts",
        ["run_id", "field", "position"],
    )
    op.create_table(
        "verification_duplicate_scans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("pairs_found", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_code", sa.String(length=60), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        _organisation_fk("verification_duplicate_scans"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_duplicate_scans")),
    )
    op.create_index(
        op.f("ix_verification_duplicate_scans_organisation_id"),
        "verification_duplicate_scans",
        ["organisation_id"],
    )
    op.create_index(
        op.f("ix_verification_duplicate_scans_status"), "verification_duplicate_scans", ["status"]
    )
    op.create_table(
        "verification_duplicate_pairs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("source_a", sa.String(length=36), nullable=False),
        sa.Column("version_a", sa.Integer(), nullable=False),
        sa.Column("source_b", sa.String(length=36), nullable=False),
        sa.Column("version_b", sa.Integer(), nullable=False),
        sa.Column("column_match_ratio", sa.Float(), nullable=False),
        sa.Column("mean_value_jaccard", sa.Float(), nullable=False),
        sa.Column("row_overlap", sa.Float(), nullable=True),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["verification_duplicate_scans.id"],
            name="fk_verification_duplicate_pairs_scan_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_duplicate_pairs")),
    )
    op.create_index(
        op.f("ix_verification_duplicate_pairs_scan_id"),
        "verification_duplicate_pairs",
        ["scan_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_verification_duplicate_pairs_scan_id"), table_name="verification_duplicate_pairs"
    )
    op.drop_table("verification_duplicate_pairs")
    op.drop_index(
        op.f("ix_verification_duplicate_scans_status"), table_name="verification_duplicate_scans"
    )
    op.drop_index(
        op.f("ix_verification_duplicate_scans_organisation_id"),
        table_name="verification_duplicate_scans",
    )
    op.drop_table("verification_duplicate_scans")
    op.drop_index("ix_verification_conflicts_run_field", table_name="verification_conflicts")
    op.drop_index(op.f("ix_verification_conflicts_run_id"), table_name="verification_conflicts")
    op.drop_table("verification_conflicts")
    op.drop_index(op.f("ix_verification_field_stats_run_id"), table_name="verification_field_stats")
    op.drop_table("verification_field_stats")
    op.drop_index(op.f("ix_verification_runs_status"), table_name="verification_runs")
    op.drop_index(op.f("ix_verification_runs_organisation_id"), table_name="verification_runs")
    op.drop_table("verification_runs")
    for column in ("library_id", "source_id", "organisation_id"):
        op.drop_index(
            op.f(f"ix_verification_authorities_{column}"), table_name="verification_authorities"
        )
    op.drop_table("verification_authorities")
