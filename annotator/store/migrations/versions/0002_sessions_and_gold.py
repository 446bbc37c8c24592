"""Annotation sessions (campaigns), assignments, gold labels, and the event log's layer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add campaign, assignment and gold; give events a layer (existing ones: annotation)."""
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("scheme_yaml", sa.String(), nullable=False),
        sa.Column("scheme_hash", sa.String(), nullable=False),
        sa.Column("scheme_ref", sa.String(), nullable=False),
        sa.Column("guidelines", sa.String(), nullable=False),
        sa.Column("overlap", sa.Integer(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_name", "campaign", ["name"], unique=True)
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.ForeignKeyConstraint(["annotator_id"], ["annotator.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "article_id", "annotator_id", name="uq_assignment"),
    )
    op.create_table(
        "gold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("scheme_hash", sa.String(), nullable=False),
        sa.Column("session", sa.String(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("adjudicator_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.ForeignKeyConstraint(["adjudicator_id"], ["annotator.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "scheme_hash", "session", name="uq_gold"),
    )
    with op.batch_alter_table("annotation_event") as batch:
        batch.add_column(
            sa.Column("layer", sa.String(), nullable=False, server_default="annotation")
        )


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("annotation_event") as batch:
        batch.drop_column("layer")
    op.drop_table("gold")
    op.drop_table("assignment")
    op.drop_index("ix_campaign_name", table_name="campaign")
    op.drop_table("campaign")
