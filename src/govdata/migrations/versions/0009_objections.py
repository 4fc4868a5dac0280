"""objections

Objections to data and their steps (see docs/objections.md).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 23:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.JSON(), nullable=False),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("reporter_org_id", sa.String(length=36), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("holder_org_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("answer_kind", sa.String(length=20), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("fix_version", sa.Integer(), nullable=True),
        sa.Column("responsible", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["aggregation_sources.id"],
            name=op.f("fk_objections_source_id_aggregation_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        sa.UniqueConstraint("number", name=op.f("uq_objections_number")),
    )
    op.create_index(op.f("ix_objections_source_id"), "objections", ["source_id"])
    op.create_index(op.f("ix_objections_reporter_org_id"), "objections", ["reporter_org_id"])
    op.create_index(op.f("ix_objections_holder_org_id"), "objections", ["holder_org_id"])
    op.create_index("ix_objections_status_due_on", "objections", ["status", "due_on"])
    op.create_table(
        "objection_steps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("objection_id", sa.String(length=36), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_org_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_objection_steps_objection_id_objections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection_steps")),
    )
    op.create_index(op.f("ix_objection_steps_objection_id"), "objection_steps", ["objection_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_objection_steps_objection_id"), table_name="objection_steps")
    op.drop_table("objection_steps")
    op.drop_index("ix_objections_status_due_on", table_name="objections")
    op.drop_index(op.f("ix_objections_holder_org_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_reporter_org_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_source_id"), table_name="objections")
    op.drop_table("objections")
