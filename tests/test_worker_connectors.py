"""The worker's connector cache (app/worker/connections.py): one connector per account, kept from one
poll to the next, all sending through one connection pool; proxy settings from the environment apply
as requests would apply them, though read once."""
import dataclasses

from app.worker.connections import ConnectorCache
from tests.fixtures.polling import BRAND_ID, brand_posts
from tests.fixtures.sandbox import facebook_account_info, x_account_info


def test_an_accounts_connector_is_kept_between_polls_and_rebuilt_when_its_details_change(app, sandbox):
    cache = ConnectorCache(threads=4)
    x, facebook = x_account_info(sandbox.url), facebook_account_info(sandbox.url)
    ids = brand_posts(sandbox, "twitter", 2) + brand_posts(sandbox, "facebook", 2)
    x_connector, facebook_connector = cache(x, timeout=5), cache(facebook, timeout=5)
    fetched = [item.external_id for c in (x_connector, facebook_connector) for item in c.fetch({}).items]
    assert sorted(fetched) == sorted(ids)  # over real HTTP, through the shared pool

    assert cache(x, timeout=5) is x_connector and cache(facebook, timeout=5) is facebook_connector
    assert x_connector.session.get_adapter(sandbox.url) is cache.adapter
    assert facebook_connector.session.get_adapter(sandbox.url) is cache.adapter
    assert cache.adapter.poolmanager.connection_from_url(sandbox.url).pool.maxsize == 4

    identified = dataclasses.replace(x, external_id=BRAND_ID["twitter"])  # the first poll learnt the brand's id
    assert cache(identified, timeout=5) is not x_connector
    rotated = dataclasses.replace(facebook, credentials={**facebook.credentials, "page_access_token": "rotated"})
    rebuilt = cache(rotated, timeout=5)
    assert rebuilt is not facebook_connector and rebuilt.graph.access_token == "rotated"
    cache.close()


def test_proxies_from_the_environment_apply_as_requests_applies_them(app, sandbox, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    cache = ConnectorCache(threads=2)
    to_sandbox = cache(x_account_info(sandbox.url), timeout=5)
    to_x = cache(x_account_info(None, account_id=9), timeout=5)  # no base URL: the production API
    assert to_sandbox.session.proxies == {} and not to_sandbox.session.trust_env
    assert to_x.session.proxies["https"] == "http://proxy.example:3128"
    brand_posts(sandbox, "twitter", 1)
    assert len(to_sandbox.fetch({}).items) == 1  # NO_PROXY held: the request went straight to the sandbox
    cache.close()
