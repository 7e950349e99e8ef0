"""The Content-Security-Policy in a real browser: the inbox, the dashboard, the reports and the API docs load and
work (Socket.IO over its websocket, Chart.js, Swagger UI) without a single violation."""
import pytest

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
"""


def visit(page, url, ready):
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(url)
    page.wait_for_function(ready)
    page.wait_for_timeout(300)  # a late violation (a lazily built widget) still gets reported
    violations = page.evaluate("window.__csp")
    refused = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    return violations, refused, sockets


def test_pages_load_without_csp_violations(open_page, live_server, make_user, custom_account, make_token):
    import requests

    requests.post(f"{live_server.url}/api/v1/messages", timeout=5,
                  headers={"Authorization": f"Bearer {make_token(make_user('agent'))}"},
                  json={"account_id": custom_account.id, "external_id": "m-1", "text": "Where is my parcel? https://example.com/x",
                        "author": {"external_id": "c-1", "handle": "eve", "name": "Eve"}})
    page = open_page(make_user("manager"), path="/")
    page.context.add_init_script(WATCH_VIOLATIONS)
    checks = {
        "/": "document.querySelector('#connection-state.conn-live') && document.querySelector('.conversation')",
        "/dashboard": "document.querySelector('#connection-state.conn-live') && "
                      "document.querySelector('#tile-open .value').textContent === '1'",
        "/reports": "document.querySelector('#report-form') !== null",
        "/api/v1/docs": "document.querySelectorAll('#swagger-ui .opblock').length > 10",
    }
    for path, ready in checks.items():
        violations, refused, sockets = visit(page, f"{live_server.url}{path}", ready)
        assert violations == [] and refused == [], (path, violations, refused)
        if path in ("/", "/dashboard"):
            assert any("/socket.io/" in url and "transport=websocket" in url for url in sockets), (path, sockets)
        if path == "/reports":
            page.click("#report-form button[type=submit]")
            page.wait_for_function("typeof Chart !== 'undefined' && Chart.getChart('chart-response') !== undefined")
            assert page.evaluate("window.__csp") == []
        if path == "/api/v1/docs":
            page.click("#swagger-ui .opblock-summary >> nth=0")  # expand one operation: more of Swagger UI renders
            page.wait_for_selector("#swagger-ui .opblock.is-open")
            page.wait_for_timeout(300)
            assert page.evaluate("window.__csp") == []
    assert page.errors == []


def test_the_policy_really_is_enforced(open_page, live_server, make_user):
    """The listener would see a violation: an inline script is refused on our pages."""
    page = open_page(make_user("agent"), path="/")
    page.context.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{live_server.url}/")
    page.evaluate("""() => {
        const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true';
        document.body.append(s);
    }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__inlineRan") is None
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
