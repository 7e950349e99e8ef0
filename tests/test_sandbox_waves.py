"""Spam waves and complaint bursts in the sandbox's traffic: triggered through the control API, served by the
emulated X and Graph APIs like any post, and, polled by the real worker path, raising a spike alert."""
import re
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import requests
import sqlalchemy as sa

from app.models import SocialAccount
from app.sandbox import SandboxNetwork
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from app.sandbox.phrases import COMPLAINT_BURSTS
from app.sandbox.traffic import TrafficGenerator
from app.worker.polling import poll_account
from app.worker.spike_job import run_spike_job
from tests.conftest import writing
from tests.fixtures.polling import BRAND_ID, connect
from tests.test_sandbox import MENTION_FIELDS, graph, x_client

LINK = re.compile(r"https?://\S+")


def wave(sandbox, status=201, **body):
    resp = requests.post(f"{sandbox.url}/_sandbox/traffic/wave", json=body, timeout=10)
    assert resp.status_code == status, resp.text
    return resp.json()


def test_a_spam_wave_on_x_is_served_as_mentions(sandbox):
    made = wave(sandbox, kind="spam", network="twitter", count=12)
    assert made["kind"] == "spam" and made["network"] == "twitter" and made["count"] == 12
    mentions = x_client(sandbox).get_users_mentions(BRAND_ID["twitter"], max_results=100, **MENTION_FIELDS)
    posted = {p["id"] for p in made["posts"]}
    tweets = [t for t in mentions.data if str(t.id) in posted]
    assert len(tweets) == 12
    authors = {u.id: u.username for u in mentions.includes["users"]}
    assert 3 <= len({t.author_id for t in tweets}) <= 5  # a few throwaway accounts, each posting many
    assert all(LINK.search(t.text) for t in tweets)
    # Near-identical: the same words, only the link's code and an emoji differ.
    skeletons = {LINK.sub("", t.text).rstrip(" 💰🎁✅🔥‼️") for t in tweets}
    assert len(skeletons) == 1, skeletons
    assert {authors[t.author_id] for t in tweets} == {p["author"] for p in made["posts"]}
    times = sorted(t.created_at for t in tweets)
    assert (times[-1] - times[0]).total_seconds() <= 120  # within a minute or two


def test_a_complaint_burst_on_facebook_comes_from_different_customers_in_several_languages(sandbox):
    made = wave(sandbox, kind="complaints", network="facebook", count=40, topic="double_charge")
    assert made["topic"] == "double_charge"
    api = graph(sandbox)
    post_id = sandbox.network.feed(BRAND_ID["facebook"])[0].id
    comments = api.get_connections(post_id, "comments", fields="id,message,from,created_time", limit=100,
                                   filter="stream")["data"]
    burst = [c for c in comments if c["id"] in {p["id"] for p in made["posts"]}]
    assert len(burst) == 40
    assert len({c["from"]["id"] for c in burst}) == 40  # one complaint each
    phrases = {lang: [p.split("{order}")[0] for p in texts] for lang, texts in COMPLAINT_BURSTS["double_charge"].items()}
    languages = Counter(lang for c in burst for lang, starts in phrases.items()
                        if any(c["message"].startswith(s) for s in starts))
    assert sum(languages.values()) == 40 and len(languages) >= 2


def test_a_spam_wave_on_instagram_is_served_as_comments_on_the_latest_media(sandbox):
    made = wave(sandbox, kind="spam", network="instagram", count=8, language="ar")
    media = sandbox.network.instagram.media_of(sandbox.network.instagram.accounts[DEMO_INSTAGRAM["ig_user_id"]])[0]
    comments = graph(sandbox).get_connections(media.id, "comments", fields="id,text,username", limit=50)["data"]
    ours = [c for c in comments if c["id"] in {p["id"] for p in made["posts"]}]
    assert len(ours) == 8 and all(LINK.search(c["text"]) for c in ours)
    assert len({LINK.sub("", c["text"]).rstrip(" 💰🎁✅🔥‼️") for c in ours}) == 1  # near-identical


def test_bad_wave_requests_are_refused(sandbox):
    assert "kind" in wave(sandbox, 400, kind="flood")["error"]
    assert "network" in wave(sandbox, 400, kind="spam", network="myspace")["error"]
    assert "count" in wave(sandbox, 400, kind="spam", count=0)["error"]
    assert "count" in wave(sandbox, 400, kind="spam", count="many")["error"]
    assert requests.post(f"{sandbox.url}/_sandbox/traffic/wave", data="[]", timeout=5).status_code == 400


def test_waves_come_on_their_own_only_when_asked():
    quiet = TrafficGenerator(SandboxNetwork({"traffic_rate": 6}), rate=6, seed=3)
    assert all(quiet.waves.maybe() is None for _ in range(200))  # the default: no waves
    network = SandboxNetwork({"traffic_rate": 6, "traffic_wave_rate": 360})  # one after every event
    generator = TrafficGenerator(network, rate=6, seed=3)
    made = generator.waves.maybe()
    assert made["kind"] in ("spam", "complaints") and made["network"] in ("twitter", "facebook", "instagram")
    assert generator.status()["waves"] == 1 and generator.status()["wave_rate"] == 360


@pytest.mark.parametrize("network", ["twitter", "facebook", "instagram"])
def test_a_complaint_burst_polled_by_the_worker_raises_a_spike_alert(app, db, sandbox, network):
    account = connect(db, sandbox, network)
    with writing(db) as session:  # connected long ago: its (quiet) past week is known history
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == account.id)
                        .values(created_at=datetime.now(timezone.utc) - timedelta(days=30)))
    made = wave(sandbox, kind="complaints", network=network, count=30)
    assert poll_account(app, account.id, "worker-1").startswith("ok:")
    raised = {alert.kind: (what, alert) for alert, what in run_spike_job(app, "worker-1")}
    # A volume spike; triage reads many of the complaints as negative, so often a negative-share one as well.
    assert "volume" in raised and set(raised) <= {"volume", "negative_share"}
    what, alert = raised["volume"]
    assert (what, alert.account_id, alert.observed) == ("raised", account.id, made["count"])
    if "negative_share" in raised:
        assert raised["negative_share"][0] == "raised" and raised["negative_share"][1].account_id == account.id
