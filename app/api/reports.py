"""Reports API: response-time figures over a date range and the clocks under them, as JSON or CSV."""
from flask import Response as FlaskResponse
from flask import jsonify, request
from spectree import Response
from flask_babel import lazy_gettext as _l

from app.api import bp, require, spec
from app.api.sla_schemas import ClockListOut, ClocksQuery, ReportOut, ReportQuery
from app.conversations.queries import decode_cursor, encode_cursor
from app.errors import ApiError
from app.extensions import db
from app.models import utcnow
from app.reports.export import clock_record, clocks_csv_lines, report_csv
from app.reports.response_times import Range, load_clocks, report

CSV_BATCH = 2000


class JsonOrCsv(Response):
    """Documents the JSON body; with ?format=csv the answer is CSV and is not validated as JSON."""

    def find_model(self, code):
        if request.args.get("format") == "csv":
            return None
        return super().find_model(code)


def _csv_response(body, name):
    return FlaskResponse(body, mimetype="text/csv",
                         headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _cursor_id(raw):
    after = decode_cursor(raw).get("after")
    if not isinstance(after, int):
        raise ApiError(400, _l("The cursor is not one this API gave out."), code="invalid_cursor")
    return after


def _range(query):
    return Range.of_days(query.start, query.end, query.tz)


@bp.get("/reports/response-times")
@require("read", "manager")
@spec.validate(query=ReportQuery, resp=JsonOrCsv(HTTP_200=ReportOut), tags=["reports"])
def get_response_times(query: ReportQuery):
    """First and next response time (median, p90), share answered within 30 and 60 minutes, breaches
    and volume by hour of day, for clocks started between `from` and `to` (local days in `tz`), grouped
    by day, account, network, channel kind (public, private) or agent; every set of figures has the same
    per channel kind in `channels`. `format=csv` gives the same figures as CSV, with a `channel` column."""
    data = report(db.session, _range(query), group=query.group, account=query.account, network=query.network,
                  channel=query.channel)
    if query.format == "csv":
        return _csv_response(report_csv(data), f"response-times-{query.start}-{query.end}-{query.group}.csv")
    return jsonify(data)


@bp.get("/reports/clocks")
@require("read", "manager")
@spec.validate(query=ClocksQuery, resp=JsonOrCsv(HTTP_200=ClockListOut), tags=["reports"])
def get_report_clocks(query: ClocksQuery):
    """The stored clocks under the report: one per customer wait, with how it ended. JSON pages by
    `cursor`; `format=csv` gives them all."""
    rng, now = _range(query), utcnow()
    filters = {"account": query.account, "network": query.network, "channel": query.channel, "now": now}
    if query.format == "csv":
        def batches():
            after = None
            while True:
                rows = load_clocks(db.session, rng, after_id=after, limit=CSV_BATCH, **filters)
                if not rows:
                    return
                yield rows
                after = rows[-1].clock.id

        body = "".join(clocks_csv_lines(batches()))  # read in batches, so the session never holds them all
        return _csv_response(body, f"clocks-{query.start}-{query.end}.csv")
    after = _cursor_id(query.cursor) if query.cursor else None
    rows = load_clocks(db.session, rng, after_id=after, limit=query.limit + 1, **filters)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return jsonify({"items": [clock_record(r) for r in rows],
                    "next_cursor": encode_cursor({"after": rows[-1].clock.id}) if more and rows else None})
