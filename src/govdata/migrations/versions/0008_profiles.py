"""profiles

Person and enterprise profiles: profiles, linked records, aliases of merged
profiles, attribute candidates with provenance, and builds (see docs/profiles.md).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("merged_into", sa.String(length=36), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_profiles_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
    )
    op.create_index(op.f("ix_profiles_organisation_id"), "profiles", ["organisation_id"])
    op.create_table(
        "profile_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("record_key", sa.LargeBinary(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_records")),
    )
    op.create_index(op.f("ix_profile_records_profile_id"), "profile_records", ["profile_id"])
    op.create_index(
        "ix_profile_records_lookup", "profile_records", ["kind", "source_id", "record_key"]
    )
    op.create_table(
        "profile_aliases",
        sa.Column("alias_id", sa.String(length=36), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("alias_id", name=op.f("pk_profile_aliases")),
    )
    op.create_index(op.f("ix_profile_aliases_profile_id"), "profile_aliases", ["profile_id"])
    op.create_table(
        "profile_attributes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("attribute", sa.String(length=63), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("source_version", sa.Integer(), nullable=True),
        sa.Column("record_key", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.Column("chosen", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_attributes")),
    )
    op.create_index(op.f("ix_profile_attributes_profile_id"), "profile_attributes", ["profile_id"])
    op.create_index(
        "ix_profile_attributes_search", "profile_attributes", ["kind", "attribute", "value"]
    )
    op.create_table(
        "profile_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("source_ids", sa.JSON(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_runs")),
    )
    op.create_index(op.f("ix_profile_runs_organisation_id"), "profile_runs", ["organisation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_profile_runs_organisation_id"), table_name="profile_runs")
    op.drop_table("profile_runs")
    op.drop_index("ix_profile_attributes_search", table_name="profile_attributes")
    op.drop_index(op.f("ix_profile_attributes_profile_id"), table_name="profile_attributes")
    op.drop_table("profile_attributes")
    op.drop_index(op.f("ix_profile_aliases_profile_id"), table_name="profile_aliases")
    op.drop_table("profile_aliases")
    op.drop_index("ix_profile_records_lookup", table_name="profile_records")
    op.drop_index(op.f("ix_profile_records_profile_id"), table_name="profile_records")
    op.drop_table("profile_records")
    op.drop_index(op.f("ix_profiles_organisation_id"), table_name="profiles")
    op.drop_table("profiles")
