"""The webhook SSRF guard and IPv6 addresses that stand for IPv4 ones (NAT64, 6to4, Teredo, compatible, mapped,
translated): judged by the IPv4 address they reach. Site-local and local-use NAT64 are refused outright."""
import pytest

from app.webhooks import ssrf

CASES = [
    # (address, forbidden, why)
    ("93.184.216.34", False, "public IPv4"),
    ("2606:4700:4700::1111", False, "public IPv6"),
    ("127.0.0.1", True, "loopback"),
    ("10.0.0.1", True, "private"),
    ("169.254.169.254", True, "link-local (cloud metadata)"),
    ("::1", True, "IPv6 loopback"),
    ("::", True, "unspecified"),
    ("fe80::1", True, "IPv6 link-local"),
    ("fd00::1", True, "unique local"),
    ("ff02::1", True, "multicast"),
    # NAT64, well-known prefix: the last 32 bits
    ("64:ff9b::7f00:1", True, "NAT64 for 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", True, "NAT64 for 169.254.169.254"),
    ("64:ff9b::c0a8:1", True, "NAT64 for 192.168.0.1"),
    ("64:ff9b::5db8:d822", False, "NAT64 for 93.184.216.34"),
    # NAT64, local-use prefix: a site's own translator
    ("64:ff9b:1::5db8:d822", True, "local-use NAT64, whatever it carries"),
    ("64:ff9b:1:7f00:1::", True, "local-use NAT64 (/48 embedding of 127.0.0.1)"),
    # 6to4: bits 16-48
    ("2002:7f00:1::1", True, "6to4 for 127.0.0.1"),
    ("2002:a00:1::", True, "6to4 for 10.0.0.1"),
    ("2002:5db8:d822::1", False, "6to4 for 93.184.216.34"),
    # IPv4-compatible (deprecated) ::a.b.c.d
    ("::127.0.0.1", True, "IPv4-compatible 127.0.0.1"),
    ("::10.1.2.3", True, "IPv4-compatible 10.1.2.3"),
    ("::93.184.216.34", False, "IPv4-compatible public"),
    # IPv4-mapped and -translated
    ("::ffff:127.0.0.1", True, "mapped loopback"),
    ("::ffff:169.254.169.254", True, "mapped link-local"),
    ("::ffff:93.184.216.34", False, "mapped public"),
    ("::ffff:0:7f00:1", True, "translated loopback"),
    ("::ffff:0:5db8:d822", False, "translated public"),
    # Teredo: server and (obfuscated) client
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True, "Teredo, client 192.0.2.45 (documentation range)"),
    ("2001:0:7f00:1:8000:f227:a247:5dcb", True, "Teredo with server 127.0.0.1"),
    ("2001:0:5db8:d822:8000:f227:f5ff:fffe", True, "Teredo with client 10.0.0.1"),
    # site-local (deprecated)
    ("fec0::1", True, "site-local"),
    ("feff:ffff::1", True, "site-local, top of fec0::/10"),
]


@pytest.mark.parametrize("address,refused,why", CASES, ids=[c[0] for c in CASES])
def test_forbidden(address, refused, why):
    assert ssrf.forbidden(address) is refused, why


def test_the_reason_names_the_embedded_address():
    assert "NAT64 for 127.0.0.1" in ssrf.why_forbidden("64:ff9b::7f00:1")
    assert "6to4 for 10.0.0.1" in ssrf.why_forbidden("2002:a00:1::")
    assert "site-local" in ssrf.why_forbidden("fec0::1")


@pytest.mark.config(CAREBOX_WEBHOOK_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("host,named", [
    ("[64:ff9b::7f00:1]", "NAT64 for 127.0.0.1"), ("[2002:a9fe:a9fe::1]", "6to4 for 169.254.169.254"),
    ("[::127.0.0.1]", "IPv4-compatible for 127.0.0.1"), ("[fec0::1]", "site-local"),
    ("[64:ff9b:1::5db8:d822]", "local-use NAT64"),
])
def test_registering_such_a_url_is_refused_with_a_clear_message(client, make_user, make_token, host, named):
    headers = {"Authorization": f"Bearer {make_token(make_user('admin'), scopes=('read', 'write', 'admin'))}"}
    resp = client.post("/api/v1/webhooks", headers=headers, json={"url": f"http://{host}:8080/hook"})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "url_refused"
    assert named in resp.json["error"]["message"]
    assert "webhooks may only reach public addresses" in resp.json["error"]["message"]
    assert client.get("/api/v1/webhooks", headers=headers).json["items"] == []
