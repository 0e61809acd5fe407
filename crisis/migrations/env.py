"""Alembic environment: runs on the connection crisis hands over (see crisis.db)."""

from alembic import context

from crisis.db import Base
from crisis.incident import models  # noqa: F401  (each import registers its tables on Base.metadata)
from crisis.oncall import models as oncall_models  # noqa: F401
from crisis.outbox import models as outbox_models  # noqa: F401
from crisis.triage import models as triage_models  # noqa: F401
from crisis.replies import models as replies_models  # noqa: F401
from crisis.drill import models as drill_models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
