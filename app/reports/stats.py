"""Small statistics used by every report, defined once so the pages, the API and CSV agree."""
import math


def percentile(values, p):
    """The p-th quantile (0..1) by linear interpolation between closest ranks (as PostgreSQL's
    percentile_cont and NumPy's default): the median of 1, 2, 3, 10 is 2.5; its p90 is 7.9."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p
    low, high = math.floor(rank), math.ceil(rank)
    value = ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
    return round(value, 1)


def spread(values):
    """{"count", "median", "p90"} of a list of seconds."""
    return {"count": len(values), "median": percentile(values, 0.5), "p90": percentile(values, 0.9)}


def share(part, whole):
    return round(part / whole, 4) if whole else None
