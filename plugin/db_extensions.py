"""Migration operation that enables pgvector, or explains what an admin must do."""

from __future__ import annotations

from django.db import migrations


class PgVectorRequiredError(RuntimeError):
    pass


class EnsurePgVector(migrations.operations.base.Operation):
    """``CREATE EXTENSION IF NOT EXISTS vector`` where the role may.

    A shop's application role is often not allowed to create extensions; then the
    migration succeeds if an administrator already enabled it, and otherwise
    stops with the exact statement to run.
    """

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label, state) -> None:
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            raise PgVectorRequiredError("saleor-personalization needs PostgreSQL with pgvector")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
            if cursor.fetchone():
                return
            cursor.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
            )
            if not cursor.fetchone():
                raise PgVectorRequiredError(
                    "the pgvector extension is not installed on this PostgreSQL server; "
                    "install pgvector 0.8 or newer (https://github.com/pgvector/pgvector)"
                )
        try:
            schema_editor.execute("SAVEPOINT personalization_vector")
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS vector")
            schema_editor.execute("RELEASE SAVEPOINT personalization_vector")
        except Exception as exc:  # the driver's error type depends on the backend
            schema_editor.execute("ROLLBACK TO SAVEPOINT personalization_vector")
            raise PgVectorRequiredError(
                "this database role may not create the pgvector extension; ask an "
                "administrator to run: CREATE EXTENSION vector; then migrate again "
                f"({exc})"
            ) from exc

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        # Other apps may use pgvector too: leave the extension in place.
        pass

    def describe(self) -> str:
        return "Enable the pgvector extension if it is not enabled"
