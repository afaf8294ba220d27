"""`create()` as one compiled INSERT, for the rows every submission appends.

Why: a submission writes five rows (the case, its first version, its first timeline event, the
audit event, the mail in the outbox). Through `Model.save()` each costs about a thousand
Python calls — signals, `save_base`, `_save_table`, a new `InsertQuery` and
`SQLInsertCompiler` that quotes every column name again — while the INSERT itself is one
`execute`. Measured with cProfile on the in-process request path, that machinery was the
largest part of a submission's CPU beside the database's own work.

What it does: the INSERT's SQL is compiled once per model and database connection by Django's
own `SQLInsertCompiler` (so the columns, the quoting and `RETURNING` are exactly Django's);
each `create()` then builds the instance as Django does (`Model(**kwargs)`), computes each
column's value as `SQLInsertCompiler` does (`field.pre_save(obj, add=True)`, so
`auto_now_add` and encrypting fields work, then `field.get_db_prep_save`), executes the SQL
through a cursor wrapped by Django (so query capture, execute wrappers and
`mark_for_rollback_on_error` behave as for Django's insert; on PostgreSQL the statement is
prepared once per connection, see `statement_cursor`) and sets the returned columns (the key,
and any column with a `db_default`, as Django does).

What it does not do, and when it falls back to Django's own `create()` (always correct, only
slower): it sends no `pre_save`/`post_save` signal, so any model with a receiver connected
takes Django's path (checked on every call; tests/core/test_fast_insert.py also fails if one
is connected to a model that uses this manager, so the fast path is not lost silently); it
never calls a `save()` override, so a model that overrides `save()` takes Django's path
unless that override is marked with `insert_only_guard` (it only refuses an update, which a
create never is); no multi-table inheritance, proxy model, `order_with_respect_to` or key
other than an auto field. A row with a field left to its `db_default` (DEFAULT in the SQL),
a field whose placeholder for its value is not `%s` (BinaryField on MySQL), a value that is
an expression (`F()`, `Now()`) or an explicit primary key is saved Django's way.
`bulk_create`, `get_or_create` and `save()` itself are Django's, unchanged.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import signals
from django.db.models.sql.subqueries import InsertQuery


def insert_only_guard(save):
    """Mark a `save()` override that only refuses to update an existing row: `create()`
    inserts a new row only, so the fast path keeps the override's meaning without calling it."""
    save.fast_insert_safe = True
    return save


@dataclass(frozen=True)
class _Plan:
    sql: str
    fields: tuple  # the inserted fields, in the SQL's column order
    returning: tuple  # the fields the INSERT returns (the key, and any with a db_default)
    returning_params: tuple
    compiler: object  # for the returned columns' converters
    converters: dict
    placeholders: tuple  # (position, field) of fields that choose their own placeholder
    db_defaults: tuple  # fields whose value may be DatabaseDefault (no Python default)


_eligible: dict = {}


def eligible(model) -> bool:
    """Whether rows of this model can be inserted without Django's save machinery at all
    (signals are checked per call, in `FastInsertQuerySet.create`)."""
    found = _eligible.get(model)
    if found is None:
        found = _eligible[model] = _check(model)
    return found


def _check(model) -> bool:
    meta = model._meta
    save = model.save
    return (
        not meta.parents and not meta.proxy and not meta.order_with_respect_to
        and meta.auto_field is not None and meta.pk is meta.auto_field
        and (save is models.Model.save or getattr(save, "fast_insert_safe", False))
    )


def _plan(model, connection) -> _Plan:
    # Kept on the connection object (one per thread and alias), as the converters are
    # methods of its `ops`.
    plans = connection.__dict__.setdefault("madoguchi_insert_plans", {})
    plan = plans.get(model)
    if plan is None:
        meta = model._meta
        fields = tuple(f for f in meta.local_concrete_fields
                       if not f.generated and f is not meta.auto_field)
        returning = tuple(meta.db_returning_fields)
        query = InsertQuery(model)
        query.insert_values(fields, [model(**{f.attname: None for f in fields
                                              if f.has_db_default() and not f.has_default()})])
        compiler = query.get_compiler(connection=connection)
        compiler.returning_fields = list(returning)
        [(sql, _params)] = compiler.as_sql()
        plan = plans[model] = _Plan(
            sql, fields, returning, tuple(compiler.returning_params), compiler,
            compiler.get_converters([f.get_col(meta.db_table) for f in returning]),
            tuple((i, f) for i, f in enumerate(fields) if hasattr(f, "get_placeholder")),
            tuple(f for f in fields if f.has_db_default() and not f.has_default()))
    return plan


def insert(obj, using: str) -> bool:
    """INSERT a new instance (built with `Model(**kwargs)`, no primary key yet) the fast way
    and mark it saved, as `save(force_insert=True)` leaves it, the returned columns set.
    False (nothing written) when the compiled SQL does not fit the row — a backend that cannot
    return the inserted key, a field left to its database default (DEFAULT in the SQL), or a
    placeholder other than `%s` for a value (MySQL's `_binary %s`); the caller then saves it
    Django's way."""
    connection = connections[using]
    if not connection.features.can_return_columns_from_insert:
        return False  # the key could not be read back from the one INSERT: Django's way
    plan = _plan(type(obj), connection)
    for f in plan.db_defaults:
        if hasattr(getattr(obj, f.attname), "resolve_expression"):
            return False
    obj._prepare_related_fields_for_save(operation_name="save")
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields]
    for i, f in plan.placeholders:
        if f.get_placeholder(params[i], None, connection) != "%s":
            return False
    with transaction.mark_for_rollback_on_error(using), statement_cursor(connection) as cursor:
        cursor.execute(plan.sql, params)
        row = connection.ops.fetch_returned_insert_columns(cursor, plan.returning_params)
    if plan.converters:
        (row,) = plan.compiler.apply_converters([row], plan.converters)
    for value, field in zip(row, plan.returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.db = using
    obj._state.adding = False
    return True


_preparing_cursor = None


def statement_cursor(connection):
    """`connection.cursor()` for one compiled statement run again and again with new values.

    On PostgreSQL with psycopg 3 it is a cursor that binds the values on the server and
    prepares the statement the first time each connection runs it, so PostgreSQL parses and
    plans it once per connection instead of on every request. Measured in-process on a
    submission (five INSERTs and the token read): the PostgreSQL backend's CPU went from
    1.27 to 0.73 ms. Everywhere else, and behind a transaction-mode pooler
    (MADOGUCHI_DB_POOLER=transaction: a prepared statement lives in one server session,
    which pgbouncer does not keep for us), it is Django's own cursor. Django's own cursors
    stay client-side binding (its default): only these statements, whose SQL is fixed, are
    prepared. The cursor is wrapped by Django as its own are (execute wrappers included)."""
    global _preparing_cursor
    if (connection.vendor != "postgresql" or connection.queries_logged
            or getattr(settings, "MADOGUCHI_DB_POOLER", "") == "transaction"):
        # While queries are logged (DEBUG, CaptureQueriesContext) Django reads each statement
        # back from its client-binding cursor for the log: run it there, unprepared.
        return connection.cursor()
    from django.db.backends.postgresql import base as postgresql

    if not postgresql.is_psycopg3:
        return connection.cursor()
    if _preparing_cursor is None:
        class PreparingCursor(postgresql.ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=None, binary=None):
                return super().execute(query, params, prepare=True, binary=binary)

        _preparing_cursor = PreparingCursor
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off (None), which also refuses
        # prepare=True. Only this cursor asks for it, and Django's own cursors bind on the
        # client and never prepare, so a threshold no statement reaches changes nothing else.
        raw.prepare_threshold = 2**31 - 1
    loader = raw.adapters.get_loader(postgresql.TIMESTAMPTZ_OID, postgresql.Format.TEXT)
    if connection.timezone != loader.timezone:  # Django would set it on the cursor: let it
        return connection.cursor()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor(raw))


class FastInsertQuerySet(models.QuerySet):
    """A queryset whose `create()` is one compiled INSERT (see the module docstring)."""

    def create(self, **kwargs):
        model = self.model
        if (
            not eligible(model)
            or signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model)
            or model._meta.pk.attname in kwargs or model._meta.pk.name in kwargs
            or not model._meta._reverse_one_to_one_field_names.isdisjoint(kwargs)
            or any(hasattr(value, "resolve_expression") for value in kwargs.values())
        ):
            return super().create(**kwargs)
        obj = model(**kwargs)
        self._for_write = True
        if not insert(obj, self.db):
            obj.save(force_insert=True, using=self.db)
        return obj


FastInsertManager = models.Manager.from_queryset(FastInsertQuerySet, "FastInsertManager")
