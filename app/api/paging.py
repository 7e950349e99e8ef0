"""Keyset pagination by id, newest first (`next_cursor` is the last id of the page), and safe lookups by id."""
import sqlalchemy as sa


def page_by_id(session, query, id_column, cursor, limit):
    """(rows, next_cursor) for `query` (a select of one entity). `cursor` was checked to be digits."""
    if cursor and int(cursor) <= max_id(id_column.type):  # a larger cursor is past every row: no bound needed
        query = query.where(id_column < int(cursor))
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], str(rows[limit - 1].id)
    return rows, None


def get_by_id(session, model, value):
    """session.get, but None for ids no row can have (a huge id would make the database driver raise)."""
    return session.get(model, value) if 0 < value <= max_id(model.__table__.c.id.type) else None


def max_id(column_type):
    return 2**63 - 1 if isinstance(column_type, sa.BigInteger) else 2**31 - 1
