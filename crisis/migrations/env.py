"""Alembic environment: runs on the connection crisis hands over (see crisis.db)."""

from alembic import context

from crisis.db import Base
from crisis.incident import models  # noqa: F401  (registers the tables on Base.metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
