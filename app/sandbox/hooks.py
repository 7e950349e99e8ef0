"""What every emulated API request goes through first: counting, and the faults tests arm.

Both API blueprints call `start_api_request()` from their before_request
hook, passing how their network words each failure (`responders`).
"""
import socket
import struct
import time

from flask import Response, current_app, g, request

# Faults that replace the response; "duplicate_page" is applied by the paging code instead.
REQUEST_FAULTS = ("429", "500", "503", "html", "timeout", "malformed", "bad_token", "reset_connection")

# What an nginx-style proxy in front of an API sends when its upstream fails: HTML, not the API's JSON.
HTML_ERROR_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
HTML_REASONS = {200: "OK", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Temporarily Unavailable",
                504: "Gateway Time-out"}


def current_network():
    return current_app.extensions["sandbox"].network


def start_api_request(network_name, endpoint, account_key, responders):
    """Count the request; if a fault is armed for it, return the response to send instead."""
    network = current_network()
    g.sandbox_generation = network.generation
    account = f"{network_name}:{account_key or 'unknown'}"
    g.tracked_request = (account, network.stats.begin(f"{network_name} {endpoint}", account))

    fault = network.faults.take(network_name, request.path, REQUEST_FAULTS)
    if fault is None:
        return None
    if fault.kind == "timeout" or fault.delay:
        time.sleep(fault.delay if fault.delay is not None else network.settings["default_fault_delay"])
    if network.generation != g.sandbox_generation:
        # The sandbox was reset while we slept (the test that armed the fault is over): write nothing.
        return responders["503"](fault)
    if fault.kind == "timeout":
        return None  # answer normally, long after the client gave up (a write still happens)
    if fault.kind == "malformed":
        return Response('{"data": [{"id": "12', status=200, mimetype="application/json")
    if fault.kind == "reset_connection":
        drop_connection()
        return Response(status=500)
    if fault.kind == "html":
        return html_error_page(fault.status or 502)
    return responders[fault.kind](fault)


def html_error_page(status):
    reason = HTML_REASONS[status]
    return Response(HTML_ERROR_PAGE.format(status=status, reason=reason), status=status,
                    mimetype="text/html", headers={"Server": "nginx"})


def finish_api_request(_exc=None):
    tracked = g.pop("tracked_request", None)
    if tracked is not None:
        current_network().stats.end(*tracked)


def drop_connection():
    """Close the client's TCP connection without answering (an abrupt reset)."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
