"""Figures for managers: the live SLA picture (summary.py, workload.py, pollers.py) and
response-time reports over a date range (response_times.py), all read from stored rows.

Reports read SlaClock rows only (never recomputed from conversations, which change):
a clock keeps when it started, its due times, when and how it stopped, who answered,
its response time in business seconds, and whether it met its SLA.
"""
