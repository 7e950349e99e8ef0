"""A requests.Session that points a client library at another host and never waits forever.

tweepy hard-codes https://api.twitter.com and sets no timeout; facebook-sdk
prefixes https://graph.facebook.com/. Giving them this session is how an
account's `api_base_url` (the sandbox, a proxy) takes effect.
"""
import requests


class RewritingSession(requests.Session):
    def __init__(self, production_base, api_base_url, timeout):
        super().__init__()
        self.production_base = production_base.rstrip("/")
        self.api_base_url = (api_base_url or production_base).rstrip("/")
        self.timeout = timeout
        self.last_response = None

    def request(self, method, url, *args, **kwargs):
        if url.startswith(self.production_base):
            url = self.api_base_url + url[len(self.production_base):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        response = super().request(method, url, *args, **kwargs)
        self.last_response = response
        return response
