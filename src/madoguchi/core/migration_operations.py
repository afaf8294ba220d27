"""Index operations for the big tables, safe to run while a city is being served.

`CREATE INDEX` on PostgreSQL blocks every write to the table until it finishes: on ten million
submissions or fifty million audit events that is minutes in which nobody can apply and no
action can be audited. PostgreSQL's `CONCURRENTLY` builds the index without that lock, and
Django ships the operations (django.contrib.postgres), but they refuse every other database;
these use them on PostgreSQL and the plain operation elsewhere (SQLite, for development and
tests), so one migration serves both. A migration using them sets `atomic = False`, because
PostgreSQL cannot build an index concurrently inside a transaction.
"""

from django.contrib.postgres import operations as postgres
from django.db.migrations.operations import AddIndex, AlterField, RemoveIndex
from django.db.models import Index


class AddIndexConcurrently(postgres.AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrently(postgres.RemoveIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class DropColumnIndex(AlterField):
    """A field's `db_index=True` turned off, dropping only that column's own index.

    Django's AlterField would do the same on PostgreSQL, but on SQLite it rebuilds the whole
    table, which loses the audit log's append-only triggers (migration core/0002) with the old
    table. The column's index is found by introspection, as AlterField finds it.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        for name in schema_editor._constraint_names(model, [column], index=True, type_=Index.suffix):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
