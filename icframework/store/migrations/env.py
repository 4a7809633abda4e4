"""Alembic's environment: runs the migrations on the connection icframework hands over (store/migrate.py).

icframework opens the transaction itself (and, on PostgreSQL, takes an advisory lock first), so several
processes upgrading or creating one database at once run the migrations exactly once.
"""

from alembic import context

from icframework.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
