"""CSV of the report figures and of the clocks under them (the same numbers as the JSON and the pages).

The figures CSV has a `channel` column: each group's line for all its clocks ("all", or the channel the
report is filtered to), then, unfiltered, one line per channel kind (public, private) with that half's
figures. Grouped by channel, the group column is the channel column.

Cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a quote:
account and staff names are typed by people.
"""
import csv
import io

from app.models import isoformat
from app.vocabulary import CHANNELS

ALL_CHANNELS = "all"

FIGURE_COLUMNS = (
    "clocks", "answered", "unanswered", "running", "breaches",
    "first_response_count", "first_response_median_s", "first_response_p90_s",
    "next_response_count", "next_response_median_s", "next_response_p90_s",
    "within_30", "within_30_count", "within_30_eligible", "within_60", "within_60_count", "within_60_eligible",
)
CLOCK_COLUMNS = (
    "id", "conversation_id", "account_id", "account", "network", "channel", "policy_id", "kind", "state", "started_at",
    "warn_at", "breach_at", "warned_at", "breached_at", "stopped_at", "stop_reason", "answered_by_user_id",
    "answered_by", "response_seconds", "met",
)


def safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _flat(figs):
    out = dict(figs)
    out.pop("channels", None)
    for kind in ("first_response", "next_response"):
        spread = out.pop(kind)
        out[f"{kind}_count"] = spread["count"]
        out[f"{kind}_median_s"] = spread["median"]
        out[f"{kind}_p90_s"] = spread["p90"]
    return out


def _csv(header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe(v) for v in row])
    return buf.getvalue()


def _figure_lines(key, label, figs, channel, split):
    """The line of a group (or the total) and, when `split`, one per channel kind."""
    flat = _flat(figs)
    lines = [[key, label, channel or ALL_CHANNELS, *(flat[c] for c in FIGURE_COLUMNS)]]
    if split:
        for kind in CHANNELS:
            half = _flat(figs["channels"][kind])
            lines.append([key, label, kind, *(half[c] for c in FIGURE_COLUMNS)])
    return lines


def report_csv(data):
    """Lines per group (see the module docstring), then the total's."""
    group, channel = data["group"], data.get("channel")
    lines = []
    for g in data["groups"]:
        lines += _figure_lines(g["key"], g["label"], g, channel, split=channel is None)
    lines += _figure_lines("total", "All", data["totals"], channel, split=channel is None)
    if group == "channel":  # the group column is the channel already
        lines = [line[:2] + line[3:] for line in lines if line[2] in (ALL_CHANNELS, channel)]
        return _csv((group, "label", *FIGURE_COLUMNS), lines)
    return _csv((group, "label", "channel", *FIGURE_COLUMNS), lines)


def clock_record(row):
    """A ClockRow as a flat dict (JSON items and CSV lines)."""
    c = row.clock
    return {
        "id": c.id, "conversation_id": c.conversation_id, "account_id": c.account_id, "account": row.account,
        "network": row.network, "channel": row.channel, "policy_id": c.policy_id, "kind": c.kind, "state": c.state,
        "started_at": isoformat(c.started_at), "warn_at": isoformat(c.warn_at), "breach_at": isoformat(c.breach_at),
        "warned_at": isoformat(c.warned_at), "breached_at": isoformat(c.breached_at),
        "stopped_at": isoformat(c.stopped_at), "stop_reason": c.stop_reason,
        "answered_by_user_id": c.answered_by_user_id, "answered_by": row.answered_by,
        "response_seconds": c.response_seconds, "met": c.met,
    }


def clocks_csv_lines(batches):
    """CSV text in chunks: the header, then one chunk per batch of ClockRows (for a streamed response)."""
    yield _csv(CLOCK_COLUMNS, [])
    for rows in batches:
        records = [clock_record(r) for r in rows]
        text = _csv(CLOCK_COLUMNS, [[rec[c] for c in CLOCK_COLUMNS] for rec in records])
        yield text.split("\n", 1)[1]  # drop the repeated header
