"""conversation drafts and outbox message bodies encrypted; outbox rows say whether they carry a child's data

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:45:00.000000

Both columns become text holding models.crypto's EncryptedJSON (a random nonce, bound to the
column's purpose); the rows already stored are encrypted here with the app's key, as 0008 did.
Existing outbox rows count as personal (the default fails closed): a queued row for someone
deactivated since is then not delivered.
"""
import json

from alembic import op
import sqlalchemy as sa
import models.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# (table, column, purpose) of the JSON values models.crypto now keeps encrypted.
JSON_COLUMNS = [("conversations", "data", "conversation_data"), ("outbox", "messages", "outbox_messages")]


def upgrade() -> None:
    for table, column, purpose in JSON_COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=models.base.JSONType, type_=sa.Text(),
                                  existing_nullable=False, postgresql_using=f"{column}::text")
        _rewrite(table, column, purpose, _seal)
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('personal', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('personal')
    for table, column, purpose in JSON_COLUMNS:
        _rewrite(table, column, purpose, _open)
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=models.base.JSONType,
                                  existing_nullable=False, postgresql_using=f"{column}::jsonb")


def _seal(cipher, purpose: str, stored: str) -> str:
    return cipher.seal_json(purpose, json.loads(stored))


def _open(cipher, purpose: str, stored: str) -> str:
    return json.dumps(cipher.open_json(purpose, stored), ensure_ascii=False)


def _rewrite(table: str, column: str, purpose: str, change) -> None:
    """Replace every stored value of the (text) column by change(cipher, purpose, value), with the app's key."""
    bind = op.get_bind()
    cipher = bind.dialect.field_cipher
    for row_id, value in bind.execute(sa.text(f"SELECT id, {column} FROM {table}")).all():
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                     {"value": change(cipher, purpose, value), "id": row_id})
