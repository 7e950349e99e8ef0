"""Batch-sized SQL, cheaply on PostgreSQL: many rows in one INSERT … ON CONFLICT DO NOTHING, and IN lists.

The usual executemany renders one placeholder per value: for a poller's page of 100 messages
that is a 50 kB statement of 1,500 parameters, which psycopg re-parses in Python on every call
(it caches only short statements) and PostgreSQL parses and plans again: more than storing the
rows takes. On PostgreSQL, `insert_rows` sends one array per column
instead (INSERT … SELECT unnest(…), unnest(…) …), a short statement that psycopg and
PostgreSQL prepare once; columns whose value is the same in every row go as one plain value.
SQLite gets the ordinary executemany.

Statements the hot paths run on every call are built once (`prebuilt`): building a select and its
cache key costs more than running it.
"""
from functools import cache, wraps

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.database import insert_for


def insert_rows(session, model, rows, *, conflict_columns=None, conflict_where=None, returning=()):
    """INSERT `rows` (dicts with the same keys) into `model`'s table; with `conflict_columns`, rows that
    conflict on them (the unique index, partial with `conflict_where`) are skipped.
    Returns the result: `returning` (columns) of the inserted rows."""
    table = model.__table__  # Core statements on the table: the ORM's bulk machinery costs more than the SQL
    if session.get_bind().dialect.name != "postgresql" or _varying_json(model, rows):
        stmt = insert_for(session, table)
        if conflict_columns:
            stmt = stmt.on_conflict_do_nothing(index_elements=conflict_columns, index_where=conflict_where)
        if returning:
            stmt = stmt.returning(*returning)
        return session.execute(stmt, rows)
    first = rows[0]
    shape = tuple((name, all(row[name] == first[name] for row in rows)) for name in first)
    params = {(f"one_{name}" if same else f"all_{name}"): (first[name] if same else [row[name] for row in rows])
              for name, same in shape}
    stmt = _insert_statement(table, shape, tuple(conflict_columns or ()), conflict_where, tuple(returning))
    return session.execute(stmt, params)


_statements = {}  # each statement shape is built once: building it costs more than running a small one


def _insert_statement(table, shape, conflict_columns, conflict_where, returning):
    key = ("insert", table.name, shape, conflict_columns, str(conflict_where), returning)
    if key not in _statements:
        values = [
            sa.bindparam(f"one_{name}", type_=table.c[name].type) if same
            else sa.func.unnest(sa.bindparam(f"all_{name}", type_=postgresql.ARRAY(table.c[name].type)))
            for name, same in shape
        ]
        stmt = postgresql.insert(table).from_select([name for name, _ in shape], sa.select(*values))
        if conflict_columns:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict_columns), index_where=conflict_where)
        if returning:
            stmt = stmt.returning(*returning)
        _statements[key] = stmt
    return _statements[key]


def _varying_json(model, rows):
    """JSON values that differ between rows (arrays of json need care; ingest never has them): use executemany."""
    table = model.__table__
    return any(isinstance(table.c[name].type, sa.JSON) and any(row[name] != rows[0][name] for row in rows)
               for name in rows[0])


def prebuilt(build):
    """Decorator: `build(dialect_name)` returns a Core statement with named bind parameters; the decorated
    function takes a session and returns that statement, built once per kind of database.

        @prebuilt
        def _contacts_by_key(dialect):
            return sa.select(CONTACTS.c.id).where(any_of(dialect, CONTACTS.c.external_id, "keys"))

        session.execute(_contacts_by_key(session), {"keys": sorted(keys)})

    Use table columns (`Model.__table__.c`), not ORM attributes: an ORM-annotated statement takes the ORM's
    slower execution path even when it selects plain columns."""
    built = {}

    @wraps(build)
    def statement(session):
        dialect = session.get_bind().dialect.name
        stmt = built.get(dialect)
        if stmt is None:
            stmt = built[dialect] = build(dialect)
        return stmt

    return statement


def any_of(dialect, column, name):
    """`column IN (:name)` for a prebuilt statement; pass a sorted list as `name`. On PostgreSQL as
    `= ANY(:name)`, one array parameter (see `among`)."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=_array_of(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def among(session, column, values):
    """`column IN values` for a batch-sized list. On PostgreSQL as `= ANY(array)`: one parameter, so
    psycopg and PostgreSQL prepare the statement once instead of parsing a hundred placeholders each time."""
    values = sorted(values)  # rows in one order everywhere: concurrent batches lock them alike
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == sa.any_(sa.bindparam(None, values, type_=_array_of(column.type)))


@cache  # one ARRAY type per column type (types hash by identity)
def _array_of(item_type):
    return postgresql.ARRAY(item_type)


def update_rows(session, model, rows, *, key="id"):
    """UPDATE `model`'s table from `rows` (dicts with the same keys, among them `key`): each row sets
    its own values on the row whose `key` matches. Several rows on PostgreSQL: one statement over
    arrays (UPDATE … FROM unnest(…)); one row, or SQLite: UPDATE … WHERE key = … (an executemany)."""
    if not rows:
        return
    table = model.__table__
    columns = tuple(name for name in rows[0] if name != key)
    if len(rows) > 1 and session.get_bind().dialect.name == "postgresql":
        params = {f"all_{name}": [row[name] for row in rows] for name in (key,) + columns}
        params["keys"] = params[f"all_{key}"]
        session.execute(_update_statement(table, key, columns), params)
        return
    params = [{f"b_{name}": row[name] for name in row} for row in rows]
    session.execute(_update_by_key(table, key, columns), params if len(params) > 1 else params[0])


def _update_by_key(table, key, columns):
    cache_key = ("update by key", table.name, key, columns)
    if cache_key not in _statements:
        _statements[cache_key] = sa.update(table).where(table.c[key] == sa.bindparam(f"b_{key}")).values(
            {name: sa.bindparam(f"b_{name}") for name in columns})
    return _statements[cache_key]


def _update_statement(table, key, columns):
    cache_key = ("update", table.name, key, columns)
    if cache_key not in _statements:
        names = (key,) + columns
        given = sa.func.unnest(*(
            sa.bindparam(f"all_{name}", type_=postgresql.ARRAY(table.c[name].type)) for name in names
        )).table_valued(*names).render_derived(name="given")
        # The key again as `= ANY(array)`: without it the planner joins by scanning the whole table.
        keys = sa.bindparam("keys", type_=postgresql.ARRAY(table.c[key].type))
        _statements[cache_key] = (sa.update(table).where(table.c[key] == sa.any_(keys), table.c[key] == given.c[key])
                                  .values({name: given.c[name] for name in columns}))
    return _statements[cache_key]
