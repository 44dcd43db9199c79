"""invite codes encrypted at rest (deterministic, so they are still looked up and unique)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
from models.crypto import EncryptedText

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

CODE = EncryptedText("invite_code")


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(16), type_=CODE.impl_instance)
    _convert(CODE.process_bind_param)


def downgrade() -> None:
    _convert(CODE.process_result_value)
    with op.batch_alter_table("invites") as batch_op:
        batch_op.alter_column("code", existing_type=CODE.impl_instance, type_=sa.String(16))


def _convert(change) -> None:
    """Encrypt or decrypt every stored code with the app's key, as the column type does."""
    bind = op.get_bind()
    for row_id, code in bind.execute(sa.text("SELECT id, code FROM invites")).all():
        bind.execute(sa.text("UPDATE invites SET code = :code WHERE id = :id"),
                     {"code": change(code, bind.dialect), "id": row_id})
