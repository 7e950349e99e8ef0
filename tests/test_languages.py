"""Languages: what customers write in (detected, or the network's), stored through the one ingest path and
carried in the conversation JSON; canned responses in a language; migration 0007."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.ingest import language
from app.ingest.items import InboundAuthor, InboundItem
from app.ingest.pipeline import ingest
from app.models import CannedResponse, Conversation, Message


def item(ext, text, author="c1", minutes_ago=5, **kw):
    created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return InboundItem(external_id=ext, text=text, created_at=created,
                       author=InboundAuthor(author, handle=f"h_{author}", name=f"Name {author}"), **kw)


def conversation_of(db, author):
    return db.session.scalars(sa.select(Conversation).join(Conversation.contact)
                              .where(sa.text("contacts.external_id = :a")).params(a=author)).one()


# ------------------------------------------------------------------ detection

@pytest.mark.parametrize("expected, text", [
    ("en", "Hi, my order #482913 still hasn't arrived. Any update?"),
    ("en", "The app crashes every time I try to pay"),
    ("ru", "Здравствуйте, где моя посылка? Жду уже неделю."),
    ("ru", "Верните деньги за заказ, пожалуйста"),
    ("be", "Добры дзень, дзе мая пасылка?"),
    ("be", "Праграма выкідвае мяне з акаўнта, калі спрабую заплаціць."),
    ("ar", "مرحبا، وين طلبي؟ صار لي أسبوع أنتظر"),
    ("ar", "أريد استرداد المبلغ، تم الخصم من بطاقتي مرتين."),
    ("uk", "Доброго дня, де моє замовлення? Чекаю вже тиждень."),
])
def test_customer_texts_are_detected(expected, text):
    assert language.detect(text) == expected


@pytest.mark.parametrize("text", ["", "ok", "👍👍🙏", "#482913", "@carebox_demo https://x.com/a/status/1", "?!"])
def test_too_little_to_tell_is_none(text):
    assert language.detect(text) is None


def test_mentions_and_links_do_not_count_and_mixed_text_stays_sane():
    assert language.detect("@carebox_demo @support_team Где мой заказ? https://example.com/track") == "ru"
    assert language.detect("Hello! Где мой заказ?") in ("en", "ru", None)


def test_the_networks_language_wins_when_known():
    assert language.message_language("Where is my parcel?", "ru") == "ru"
    assert language.message_language("Where is my parcel?", "ar-SA") == "ar"
    assert language.message_language("Где моя посылка?", "und") == "ru"  # X's "undetermined": detected
    assert language.message_language("Где моя посылка?", "es") == "ru"  # not one we know: detected
    assert language.message_language("ok", None) is None


# ------------------------------------------------------------------ through the ingest path

def test_ingest_stores_the_language_of_customer_messages_and_conversations(db, custom_account):
    results = ingest(db.session, custom_account, [
        item("en1", "Where is my order? It was due on Monday.", author="en"),
        item("ru1", "Здравствуйте! Где мой заказ? Обещали в понедельник.", author="ru"),
        item("be1", "Добры дзень, дзе мая пасылка?", author="be"),
        item("ar1", "مرحبا، وين طلبي؟ صار لي أسبوع أنتظر", author="ar"),
        item("x1", "👍", author="emoji"),
    ])
    db.session.commit()
    stored = dict(db.session.execute(sa.select(Message.external_id, Message.language)).all())
    assert stored == {"en1": "en", "ru1": "ru", "be1": "be", "ar1": "ar", "x1": None}
    for author in ("en", "ru", "be", "ar"):
        assert conversation_of(db, author).language == author
    assert conversation_of(db, "emoji").language is None
    assert {r.message["external_id"]: r.message["language"] for r in results}["be1"] == "be"


def test_the_latest_customer_message_with_a_language_sets_the_conversations(db, custom_account):
    ingest(db.session, custom_account, [item("m1", "Где мой заказ? Жду уже неделю.", minutes_ago=30)])
    db.session.commit()
    assert conversation_of(db, "c1").language == "ru"
    # A newer message without a language keeps it; a newer one in another language takes over;
    # an older one arriving late does not.
    ingest(db.session, custom_account, [item("m2", "🙏", minutes_ago=20)])
    db.session.commit()
    assert conversation_of(db, "c1").language == "ru"
    ingest(db.session, custom_account, [item("m3", "Sorry, I'll write in English: any news on my order?", minutes_ago=10),
                                        item("m0", "Добры дзень, дзе мая пасылка?", minutes_ago=40)])
    db.session.commit()
    assert conversation_of(db, "c1").language == "en"
    brand = InboundItem("b1", "Мы проверяем ваш заказ, скоро ответим.", datetime.now(timezone.utc),
                        InboundAuthor("brand"), in_reply_to="m3", from_brand=True)
    ingest(db.session, custom_account, [brand])
    db.session.commit()
    assert conversation_of(db, "c1").language == "en"  # the brand's posts say nothing of the customer's
    assert db.session.scalar(sa.select(Message.language).where(Message.external_id == "b1")) is None


def test_the_networks_language_is_stored_as_given(db, custom_account):
    ingest(db.session, custom_account, [item("n1", "ok thanks", language="ar"), item("n2", "thanks", author="c2",
                                                                                    language="und")])
    db.session.commit()
    assert conversation_of(db, "c1").language == "ar"
    assert conversation_of(db, "c2").language == "en"


def test_x_tweets_bring_their_lang(sandbox):
    from tests.test_connectors_twitter import connector, mention

    tweet = mention(sandbox, "@carebox_demo where is it", lang="be")
    items = {i.external_id: i for i in connector(sandbox).fetch({}).items}
    assert items[tweet.id].language == "be"


def test_conversation_json_carries_the_language(client, db, make_user, make_token, custom_account):
    h = {"Authorization": f"Bearer {make_token(make_user('agent'))}"}
    created = client.post("/api/v1/messages", headers=h, json={
        "account_id": custom_account.id, "external_id": "api-1", "text": "Добры дзень, дзе мая пасылка?",
        "author": {"external_id": "cust-1", "handle": "hanna", "name": "Ганна Ліс"}})
    assert created.status_code == 201, created.json
    assert created.json["language"] == "be"
    conv = client.get(f"/api/v1/conversations/{created.json['conversation_id']}", headers=h).json
    assert conv["language"] == "be" and conv["messages"][0]["language"] == "be"
    client.post("/api/v1/messages", headers=h, json={
        "account_id": custom_account.id, "external_id": "api-2", "text": "👍", "author": {"external_id": "cust-2"}})
    listed = client.get("/api/v1/conversations", headers=h).json["items"]
    assert sorted((c["contact"]["external_id"], c["language"]) for c in listed) == [("cust-1", "be"), ("cust-2", None)]
    only_be = client.get("/api/v1/conversations?language=be", headers=h).json["items"]
    assert [c["contact"]["external_id"] for c in only_be] == ["cust-1"]
    assert client.get("/api/v1/conversations?language=Belarusian", headers=h).status_code in (400, 422)


# ------------------------------------------------------------------ canned responses

def test_canned_responses_in_a_language_come_first_for_it(client, make_user, make_token):
    h = {"Authorization": f"Bearer {make_token(make_user('manager'))}"}

    def add(title, shortcut, lang=None):
        body = {"title": title, "shortcut": shortcut, "text": title}
        if lang is not ...:
            body["language"] = lang
        resp = client.post("/api/v1/canned-responses", headers=h, json=body)
        assert resp.status_code == 201, resp.json
        return resp.json

    add("Thanks", "thanks", "en")
    add("Спасибо", "thanks", "ru")  # the same shortcut in another language
    add("Дзякуй", "thanks", "be")
    add("Bye", "bye", ...)  # no language given: any
    add("Ask order", "order", None)
    add("Здравствуйте", "hello", "ru")
    assert client.post("/api/v1/canned-responses", headers=h,
                       json={"title": "x", "shortcut": "THANKS", "text": "x", "language": "ru"}).status_code == 409
    listed = client.get("/api/v1/canned-responses?language=ru", headers=h).json["items"]
    assert [(c["title"], c["language"]) for c in listed] == [
        ("Здравствуйте", "ru"), ("Спасибо", "ru"), ("Ask order", None), ("Bye", None), ("Thanks", "en"),
        ("Дзякуй", "be")]
    plain = client.get("/api/v1/canned-responses", headers=h).json["items"]
    assert [c["shortcut"] for c in plain] == ["bye", "hello", "order", "thanks", "thanks", "thanks"]
    for_unknown = client.get("/api/v1/canned-responses?language=uk", headers=h).json["items"]
    assert [c["language"] for c in for_unknown][:2] == [None, None]


def test_canned_language_is_validated_and_can_change(client, make_user, make_token):
    h = {"Authorization": f"Bearer {make_token(make_user('manager'))}"}
    bad = client.post("/api/v1/canned-responses", headers=h,
                      json={"title": "Hola", "shortcut": "hola", "text": "Hola", "language": "es"})
    assert bad.status_code == 400
    error = bad.json["error"]
    assert error["code"] == "unknown_language"
    assert '"es"' in error["message"] and "en, ru, be, ar" in error["message"]
    made = client.post("/api/v1/canned-responses", headers=h,
                       json={"title": "Hi", "shortcut": "hi", "text": "Hi", "language": "en"}).json
    cid = made["id"]
    assert client.patch(f"/api/v1/canned-responses/{cid}", headers=h, json={"language": "xx"}).status_code == 400
    assert client.patch(f"/api/v1/canned-responses/{cid}", headers=h, json={"title": "Hello"}).json["language"] == "en"
    assert client.patch(f"/api/v1/canned-responses/{cid}", headers=h, json={"language": "ar"}).json["language"] == "ar"
    assert client.patch(f"/api/v1/canned-responses/{cid}", headers=h, json={"language": None}).json["language"] is None
    other = client.post("/api/v1/canned-responses", headers=h,
                        json={"title": "Hi", "shortcut": "hi", "text": "Hi", "language": "ru"}).json
    clash = client.patch(f"/api/v1/canned-responses/{other['id']}", headers=h, json={"language": None})
    assert clash.status_code == 409  # "hi" of no language exists already


def test_workflow_page_saves_and_edits_the_language(client, db, make_user):
    from tests.conftest import login
    from tests.test_workflow_pages import csrf

    login(client, make_user("manager"))
    token = csrf(client.get("/settings/workflow/"))
    saved = client.post("/settings/workflow/canned", data={"csrf_token": token, "title": "Спасибо", "shortcut": "thanks",
                                                          "language": "ru", "text": "Спасибо, {{contact.name}}!"})
    assert saved.status_code == 302
    again = client.post("/settings/workflow/canned", data={"csrf_token": token, "title": "Thanks", "shortcut": "thanks",
                                                          "language": "en", "text": "Thanks!"})
    assert again.status_code == 302
    assert client.post("/settings/workflow/canned", data={"csrf_token": token, "title": "x", "shortcut": "thanks",
                                                         "language": "fr", "text": "x"}).status_code == 400
    rows = dict(db.session.execute(sa.select(CannedResponse.language, CannedResponse.id)).all())
    assert set(rows) == {"ru", "en"}
    page = client.get(f"/settings/workflow/?edit={rows['ru']}").get_data(as_text=True)
    assert 'value="ru" selected' in page or 'selected value="ru"' in page
    edited = client.post("/settings/workflow/canned", data={"csrf_token": token, "id": rows["ru"], "title": "Спасибо",
                                                           "shortcut": "thanks", "language": "", "text": "Спасибо!"})
    assert edited.status_code == 302
    db.session.expire_all()
    assert db.session.get(CannedResponse, rows["ru"]).language is None


def test_demo_canned_responses_exist_per_language_and_seeding_is_idempotent(app, db, tmp_path, monkeypatch):
    from app.demo import DEMO_CANNED, seed_demo

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    seed_demo("http://127.0.0.1:5999")
    seed_demo("http://127.0.0.1:5999")
    rows = db.session.execute(sa.select(CannedResponse.shortcut, CannedResponse.language)).all()
    assert len(rows) == len(DEMO_CANNED) == 20
    assert {lang for _s, lang in rows} == {"en", "ru", "be", "ar"}
    for _shortcut, lang, _title, text in DEMO_CANNED:
        assert language.detect(text.replace("{{contact.name}}", "").replace("{{agent.name}}", "")) == lang, text


# ------------------------------------------------------------------ migration 0007

def test_migration_0007_down_keeps_shortcuts_unique_and_up_again(app, db):
    from flask_migrate import downgrade, upgrade

    for shortcut, lang in (("thanks", None), ("thanks", "ru"), ("thanks", "be"), ("bye", "ar")):
        db.session.add(CannedResponse(title=shortcut, shortcut=shortcut, text="x", language=lang))
    db.session.commit()
    db.session.remove()
    downgrade(revision="0006_user_locale")
    with db.engine.connect() as conn:
        shortcuts = sorted(conn.exec_driver_sql("SELECT shortcut FROM canned_responses").scalars())
        columns = [c["name"] for c in sa.inspect(conn).get_columns("conversations")]
    assert shortcuts == ["bye", "thanks", "thanks-be", "thanks-ru"]
    assert "language" not in columns
    upgrade()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM canned_responses WHERE language IS NULL").scalar() == 4
        assert "language" in [c["name"] for c in sa.inspect(conn).get_columns("messages")]


# ------------------------------------------------------------------ found by bench/ingest.py on this branch

def test_a_clock_started_in_the_batch_and_moved_by_a_later_applied_message_keeps_its_kind(db, custom_account):
    """Our native answer stops the clock and starts the next at a stored follow-up; a customer message of
    the same batch posted between the two moves that new clock back: it stays a "next" clock."""
    from app.models import SlaClock

    ingest(db.session, custom_account, [item("q1", "Where is my order?", minutes_ago=30)])
    ingest(db.session, custom_account, [item("q2", "Hello? Still nothing.", minutes_ago=10)])
    db.session.commit()
    brand = InboundItem("r1", "Checking now!", datetime.now(timezone.utc) - timedelta(minutes=20),
                        InboundAuthor("brand"), in_reply_to="q1", from_brand=True)
    ingest(db.session, custom_account, [brand, item("q3", "It was due on Monday.", minutes_ago=15)])
    db.session.commit()
    clocks = db.session.scalars(sa.select(SlaClock).order_by(SlaClock.id)).all()
    assert [(c.kind, c.stop_reason) for c in clocks] == [("first", "native_reply"), ("next", None)]
    assert clocks[1].policy_id == clocks[0].policy_id
    assert clocks[1].started_at == db.session.scalar(sa.select(Message.created_at).where(Message.external_id == "q3"))
