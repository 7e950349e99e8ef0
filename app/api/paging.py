"""Keyset pagination by id, newest first: `next_cursor` is the last id of the page."""


def page_by_id(session, query, id_column, cursor, limit):
    """(rows, next_cursor) for `query` (a select of one entity). `cursor` was checked to be digits."""
    if cursor:
        query = query.where(id_column < int(cursor))
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], str(rows[limit - 1].id)
    return rows, None
