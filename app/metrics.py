"""The Prometheus counters and gauges, declared once; updated where things happen, served by app/ops/metrics.py."""
from prometheus_client import Counter, Gauge, Histogram

POLLS = Counter("carebox_polls_total", "Polls of social accounts, by outcome.", ["network", "outcome"])
INGESTED = Counter("carebox_ingested_messages_total", "Messages newly stored by the ingest path.", ["network", "direction"])
# Actual start minus scheduled start of each poll: near zero while a worker keeps up with its accounts.
POLL_START_DELAY = Histogram("carebox_poll_start_delay_seconds", "How late polls started after their scheduled time.",
                             ["network"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
POLL_LAG = Gauge("carebox_poll_lag_seconds", "How late the newest posts of the last poll were seen.", ["account"])
RATE_LIMIT_REMAINING = Gauge("carebox_rate_limit_remaining", "Requests left in the network's rate-limit window.",
                             ["account"])
SOCKET_CONNECTIONS = Gauge("carebox_socket_connections", "Socket.IO connections on this web process.")
WEBHOOK_ATTEMPTS = Counter("carebox_webhook_attempts_total", "Webhook delivery attempts, by result.", ["result"])
HTTP_REQUESTS = Counter("carebox_http_requests_total", "HTTP requests served.", ["method", "endpoint", "status"])
HTTP_SECONDS = Histogram("carebox_http_request_seconds", "HTTP request duration.", ["endpoint"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
RULE_HITS = Counter("carebox_rule_hits_total", "Customer messages a rule matched and acted on, by rule.", ["rule_id"])
