"""gunicorn settings for the web role: `gunicorn -c gunicorn.conf.py wsgi:app`.

Flask-SocketIO in threading mode (simple-websocket) wants ONE worker process with many threads;
run more web processes (and a load balancer with sticky sessions, or websocket-only clients)
to scale out, with REDIS_URL set so they share Socket.IO events. Start no scheduler here: the
worker role is `flask --app wsgi worker`.
"""
import os

bind = os.environ.get("CAREBOX_BIND", "127.0.0.1:5000")
workers = 1  # Flask-SocketIO: one process per node; scale with more nodes
worker_class = os.environ.get("CAREBOX_WEB_WORKER", "gthread")
threads = int(os.environ.get("CAREBOX_WEB_THREADS", "500"))  # gthread: each connected agent (websocket) holds a thread
if worker_class == "gevent":
    # Greenlets instead of threads: far cheaper per connection and per event sent (bench/fanout.py).
    worker_connections = int(os.environ.get("CAREBOX_WEB_CONNECTIONS", "2000"))
    os.environ["CAREBOX_ASYNC_MODE"] = "gevent"
timeout = 120
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# One control socket per node: several nodes on one machine would otherwise share ~/.gunicorn/gunicorn.ctl.
# (Derived from CAREBOX_BIND: give each node its address there rather than with -b.)
control_socket = os.environ.get("CAREBOX_GUNICORN_CONTROL", f"/tmp/carebox-gunicorn-{bind.replace(':', '-')}.ctl")
