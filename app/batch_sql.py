"""Batch-sized SQL, cheaply on PostgreSQL: many rows in one INSERT … ON CONFLICT DO NOTHING, and IN lists.

The usual executemany renders one placeholder per value: for a poller's page of 100 messages
that is a 50 kB statement of 1,500 parameters, which psycopg re-parses in Python on every call
(it caches only short statements) and PostgreSQL parses and plans again: over 10 ms per page,
more than storing the rows takes. On PostgreSQL, `insert_rows` sends one array per column
instead (INSERT … SELECT unnest(…), unnest(…) …), a short statement that psycopg and
PostgreSQL prepare once; columns whose value is the same in every row go as one plain value.
SQLite gets the ordinary executemany.
"""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.database import insert_for


def insert_rows(session, model, rows, *, conflict_columns=None, conflict_where=None, returning=()):
    """INSERT `rows` (dicts with the same keys) into `model`'s table; with `conflict_columns`, rows that
    conflict on them (the unique index, partial with `conflict_where`) are skipped.
    Returns the result: `returning` (columns, or the model for ORM objects) of the inserted rows."""
    table = model.__table__  # Core statements on the table: the ORM's bulk machinery costs more than the SQL
    if session.get_bind().dialect.name != "postgresql" or _varying_json(model, rows):
        stmt = insert_for(session, table)
        if conflict_columns:
            stmt = stmt.on_conflict_do_nothing(index_elements=conflict_columns, index_where=conflict_where)
        if returning:
            stmt = stmt.returning(*returning)
        return session.execute(stmt, rows)
    columns = list(rows[0])
    values = []
    for name in columns:
        column_type = table.c[name].type
        first = rows[0][name]
        if all(row[name] == first for row in rows):
            values.append(sa.bindparam(f"one_{name}", first, type_=column_type))
        else:
            values.append(sa.func.unnest(sa.bindparam(
                f"all_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(column_type))))
    stmt = postgresql.insert(table).from_select(columns, sa.select(*values))
    if conflict_columns:
        stmt = stmt.on_conflict_do_nothing(index_elements=conflict_columns, index_where=conflict_where)
    if returning:
        stmt = stmt.returning(*returning)
    return session.execute(stmt)


def _varying_json(model, rows):
    """JSON values that differ between rows (arrays of json need care; ingest never has them): use executemany."""
    table = model.__table__
    return any(isinstance(table.c[name].type, sa.JSON) and any(row[name] != rows[0][name] for row in rows)
               for name in rows[0])


def among(session, column, values):
    """`column IN values` for a batch-sized list. On PostgreSQL as `= ANY(array)`: one parameter, so
    psycopg and PostgreSQL prepare the statement once instead of parsing a hundred placeholders each time."""
    values = sorted(values)  # rows in one order everywhere: concurrent batches lock them alike
    if session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == sa.any_(sa.bindparam(None, values, type_=postgresql.ARRAY(column.type)))


def update_rows(session, model, rows, *, key="id"):
    """UPDATE `model`'s table from `rows` (dicts with the same keys, among them `key`): each row sets
    its own values on the row whose `key` matches. On PostgreSQL one statement over arrays
    (UPDATE … FROM unnest(…)); elsewhere an executemany."""
    if not rows:
        return
    table = model.__table__
    columns = [name for name in rows[0] if name != key]
    if session.get_bind().dialect.name != "postgresql":
        stmt = sa.update(table).where(table.c[key] == sa.bindparam(f"b_{key}")).values(
            {name: sa.bindparam(f"b_{name}") for name in columns})
        session.execute(stmt, [{f"b_{name}": row[name] for name in row} for row in rows])
        return
    names = [key] + columns
    given = sa.func.unnest(*(
        sa.bindparam(f"all_{name}", [row[name] for row in rows], type_=postgresql.ARRAY(table.c[name].type))
        for name in names
    )).table_valued(*names).render_derived(name="given")
    # The key again as `= ANY(array)`: without it the planner joins by scanning the whole table.
    keys = sa.bindparam("keys", [row[key] for row in rows], type_=postgresql.ARRAY(table.c[key].type))
    session.execute(sa.update(table).where(table.c[key] == sa.any_(keys), table.c[key] == given.c[key])
                    .values({name: given.c[name] for name in columns}))
