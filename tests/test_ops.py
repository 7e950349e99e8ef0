"""Health checks, metrics and request ids."""
import json
import logging

from app.logs import job_context


def test_healthz_and_readyz(client, app):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok"}


def test_readyz_reports_redis_down_but_stays_ready(client, app):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["redis"] == "unreachable" and ready.json["degraded"] is True


def test_metrics_for_loopback_or_token(client, app, custom_account, make_user, make_token):
    app.config["CAREBOX_METRICS_ALLOW_LOOPBACK"] = True  # off by default (see tests/test_security_metrics.py)
    client.post("/api/v1/messages", headers={"Authorization": f"Bearer {make_token(make_user('agent'))}"}, json={
        "account_id": custom_account.id, "external_id": "m-1", "text": "hi", "author": {"external_id": "c"}})
    body = client.get("/metrics").get_data(as_text=True)  # the test client calls from 127.0.0.1
    assert 'carebox_ingested_messages_total{direction="inbound",network="custom"}' in body
    assert 'carebox_sla_clocks{state="ok"} 1.0' in body
    assert "carebox_webhook_backlog" in body
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    assert client.get("/metrics", environ_base=remote).status_code == 403
    app.config["CAREBOX_METRICS_TOKEN"] = "s3cret-scrape"
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer s3cret-scrape"}).status_code == 200
    assert client.get("/metrics").status_code == 403  # with a token configured, loopback needs it too


def test_request_id_is_echoed_and_logged(client, caplog):
    resp = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"


def test_json_logs_carry_job_ids(capsys):
    from pythonjsonlogger.json import JsonFormatter

    from app.logs import ContextFilter

    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("%(levelname)s %(message)s %(request_id)s %(job_id)s"))
    handler.addFilter(ContextFilter())
    log = logging.getLogger("carebox.test")
    log.addHandler(handler)
    try:
        with job_context("poll:7") as job_id:
            log.warning("polled")
    finally:
        log.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "polled" and line["job_id"] == job_id and job_id.startswith("poll:7/")


def test_client_library_debug_logs_never_show_credentials(app):
    """tweepy and urllib3 log headers and URLs (tokens included) at DEBUG: those loggers stay at INFO."""
    for name in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "facebook"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
