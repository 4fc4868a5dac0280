"""sharing

Applications for shared data, the grants they yield (also made by data return),
and the legal grounds a refusal may cite, with the shipped list (see docs/sharing.md).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 00:10:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The shipped list of refusal grounds, as it stood when this revision was written.
GROUNDS = (
    ("state_secret", "涉及国家秘密", "《中华人民共和国保守国家秘密法》"),
    (
        "commercial_or_private",
        "涉及商业秘密或个人隐私且无法脱敏",
        "《中华人民共和国个人信息保护法》《中华人民共和国反不正当竞争法》",
    ),
    ("purpose_unrelated", "申请用途与履职无关", "《政务信息资源共享管理暂行办法》"),
    ("beyond_duties", "超出申请部门职责范围", "《政务信息资源共享管理暂行办法》"),
    ("not_provider_duty", "数据不在本部门职责范围内", "《政务信息资源共享管理暂行办法》"),
    ("law_provides_otherwise", "法律法规另有规定", "相关法律、行政法规"),
)


def upgrade() -> None:
    op.create_table(
        "sharing_applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("entry_version", sa.Integer(), nullable=False),
        sa.Column("share_type", sa.String(length=20), nullable=False),
        sa.Column("holder_org_id", sa.String(length=36), nullable=False),
        sa.Column("consumer_org_id", sa.String(length=36), nullable=False),
        sa.Column("applicant", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("division_column", sa.String(length=63), nullable=True),
        sa.Column("division_codes", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("application_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_as", sa.String(length=20), nullable=True),
        sa.Column("refusal_ground", sa.String(length=40), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("grant_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_sharing_applications_entry_id_catalog_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_applications")),
        sa.UniqueConstraint("number", name=op.f("uq_sharing_applications_number")),
    )
    with op.batch_alter_table("sharing_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_applications_entry_id"), ["entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_applications_holder_org_id"), ["holder_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_applications_consumer_org_id"),
            ["consumer_org_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_sharing_applications_status_due_on", ["status", "due_on"], unique=False
        )

    op.create_table(
        "sharing_grants",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=True),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("holder_org_id", sa.String(length=36), nullable=False),
        sa.Column("grantee_org_id", sa.String(length=36), nullable=False),
        sa.Column("ceiling", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("division_column", sa.String(length=63), nullable=True),
        sa.Column("division_codes", sa.JSON(), nullable=False),
        sa.Column("application_ids", sa.JSON(), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("calls_per_day", sa.Integer(), nullable=False),
        sa.Column("rows_per_call", sa.Integer(), nullable=False),
        sa.Column("rows_per_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["sharing_applications.id"],
            name=op.f("fk_sharing_grants_application_id_sharing_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalog_entries.id"],
            name=op.f("fk_sharing_grants_entry_id_catalog_entries"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_grants")),
        sa.UniqueConstraint("number", name=op.f("uq_sharing_grants_number")),
    )
    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_application_id"), ["application_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sharing_grants_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_holder_org_id"), ["holder_org_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_grants_grantee_org_id"), ["grantee_org_id"], unique=False
        )
        batch_op.create_index(
            "ix_sharing_grants_grantee_status", ["grantee_org_id", "status"], unique=False
        )

    grounds = op.create_table(
        "sharing_refusal_grounds",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sharing_refusal_grounds")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        grounds,
        [
            {
                "code": code,
                "label": label,
                "basis": basis,
                "position": position,
                "active": True,
                "updated_by": "migration 0012",
                "updated_at": now,
            }
            for position, (code, label, basis) in enumerate(GROUNDS)
        ],
    )


def downgrade() -> None:
    op.drop_table("sharing_refusal_grounds")
    with op.batch_alter_table("sharing_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_grants_grantee_status")
        batch_op.drop_index(batch_op.f("ix_sharing_grants_grantee_org_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_grants_holder_org_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_grants_entry_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_grants_application_id"))
    op.drop_table("sharing_grants")
    with op.batch_alter_table("sharing_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_applications_status_due_on")
        batch_op.drop_index(batch_op.f("ix_sharing_applications_consumer_org_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_applications_holder_org_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_applications_entry_id"))
    op.drop_table("sharing_applications")
