"""Alembic environment: runs on the connection `flask db upgrade` hands it."""
from alembic import context
from sqlalchemy import String

from models import Base

config = context.config
connection = config.attributes["connection"]


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    # SQLite ignores VARCHAR lengths, so migrations only change them on PostgreSQL (0008): no
    # difference to report there. None: Alembic's own comparison.
    text_types = (inspected_type, getattr(metadata_type, "impl", metadata_type))
    if connection.dialect.name == "sqlite" and all(isinstance(t, String) for t in text_types):
        return False
    return None


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=compare_type,
)
with context.begin_transaction():
    context.run_migrations()
