"""data elements

Data elements a node defines beside the national ones (see docs/elements.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_elements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("identifier", sa.String(length=63), nullable=False),
        sa.Column("data_type", sa.String(length=1), nullable=False),
        sa.Column("length", sa.Integer(), nullable=True),
        sa.Column("standard", sa.String(length=100), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("check", sa.String(length=20), nullable=True),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_elements")),
        sa.UniqueConstraint("code", name=op.f("uq_data_elements_code")),
    )


def downgrade() -> None:
    op.drop_table("data_elements")
