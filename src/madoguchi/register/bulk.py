"""Inserting many rows fast: COPY on PostgreSQL, bulk_create elsewhere.

Ids are drawn from the table's sequence before the COPY, so callers can point later rows
(members at their household, movements at their resident) at rows just inserted, exactly as
with bulk_create.
"""

from django.db import connection

SQLITE_BATCH = 2000


def insert(objs: list) -> None:
    """Insert unsaved model instances of one model and give each its primary key."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=SQLITE_BATCH)
        return
    fields = model._meta.concrete_fields
    table = model._meta.db_table
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [table, model._meta.pk.column, len(objs)])
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
        columns = ", ".join(quote(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.pre_save(obj, True) for f in fields])
