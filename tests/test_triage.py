"""Triage signals (app/triage): the offline baseline, the provider interface, the OpenAI-compatible provider
against a real chat completions server on a loopback port, and the labelled set's well-formedness."""
import json
import logging
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app.triage import BaselineProvider, OpenAICompatibleProvider, Signals, provider_for, triage
from app.triage.lexicon import lexicon_for
from app.vocabulary import INTENTS, SENTIMENTS

DATA = Path(__file__).resolve().parent.parent / "bench" / "data" / "triage"
LANGUAGES = ("en", "ru", "be", "ar")

# Clear messages, written for these tests (none is in the labelled set: a test below checks).
CLEAR = {
    "en": [
        ("my order #88123 arrived broken and nobody answers, worst service ever 😡", "negative", "complaint"),
        ("what time does the Leeds branch open on Sunday?", "neutral", "question"),
        ("Thank you so much, the refund came in an hour. Amazing support ❤️", "positive", "praise"),
        ("FREE crypto giveaway!!! DM us on WhatsApp +44 7700 900123 to claim your BTC 🚀🚀🚀", "neutral", "spam"),
        ("oh great, the app crashed again 🙃", "negative", "complaint"),
        ("the courier was not helpful at all", "negative", "complaint"),
    ],
    "ru": [
        ("посылка опять потерялась, ужасный сервис 😡", "negative", "complaint"),
        ("подскажите, во сколько открывается пункт выдачи на Ленина?", "neutral", "question"),
        ("спасибо огромное, всё привезли быстро, вы лучшие!", "positive", "praise"),
        ("Бесплатный розыгрыш биткоинов! Переходи по ссылке https://win-btc.xyz и забирай приз", "neutral", "spam"),
        ("курьер не доволен не был, а я вот не доволен: заказ холодный", "negative", "complaint"),
    ],
    "be": [
        ("заказ зноў спазніўся на дзве гадзіны, жах", "negative", "complaint"),
        ("падкажыце, калі адкрыецца новы офіс у Гродна?", "neutral", "question"),
        ("дзякуй вялікі, усё выдатна працуе!", "positive", "praise"),
        ("Бясплатны розыгрыш! Падпісвайся і пераходзь па спасылцы https://prize-by.top", "neutral", "spam"),
    ],
    "ar": [
        ("الطلب متأخر ثلاث ساعات وما حد يرد، خدمة سيئة جدا", "negative", "complaint"),
        ("متى يفتح الفرع الجديد في جدة؟", "neutral", "question"),
        ("شكرا جزيلا، خدمة ممتازة وسريعة ❤️", "positive", "praise"),
        ("اربح بيتكوين مجانا! تواصل معنا على الواتساب +971 50 123 4567", "neutral", "spam"),
        ("el order lessa mawsalsh, 3atlan keda leh?", "negative", "complaint"),
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_baseline_reads_clear_messages_in_each_language(language):
    texts = [(text, language) for text, _, _ in CLEAR[language]]
    got = BaselineProvider().classify(texts)
    assert got == [Signals(sentiment, intent) for _, sentiment, intent in CLEAR[language]]


def test_the_clear_examples_are_not_in_the_labelled_set():
    labelled = {row["text"] for language in LANGUAGES for row in _labelled(language)}
    assert {text for examples in CLEAR.values() for text, _, _ in examples} & labelled == set()


def test_negation_turns_polarity_and_intensifiers_weigh_more():
    baseline = BaselineProvider()
    assert baseline.classify([("the food was good", "en")])[0].sentiment == "positive"
    assert baseline.classify([("the food was not good", "en")])[0].sentiment == "negative"
    assert baseline.classify([("еда была не вкусная", "ru")])[0].sentiment == "negative"
    assert baseline.classify([("الأكل مش حلو", "ar")])[0].sentiment == "negative"


def test_a_complaint_phrased_as_a_question_is_a_complaint():
    assert triage([("why is my parcel still missing after two weeks??", "en")], {})[0].intent == "complaint"
    assert triage([("почему до сих пор не пришёл заказ?", "ru")], {})[0].intent == "complaint"


def test_empty_and_symbol_only_messages_are_other():
    assert triage([("", "en"), ("   ", None), ("🙂", None), ("??", "en")], {}) == [
        Signals("neutral", "other"), Signals("neutral", "other"), Signals("positive", "other"),
        Signals("neutral", "other")]


def test_an_undetected_language_is_read_with_every_lexicon():
    got = triage([("дзякуй, вы лепшыя!", None), ("شكرا، خدمة ممتازة", None)], {})
    assert [s.intent for s in got] == ["praise", "praise"]
    assert lexicon_for("xx") is lexicon_for(None)


def test_every_lexicon_loads_with_known_lists_only():
    for language in LANGUAGES:
        lexicon = lexicon_for(language)
        assert lexicon.words and lexicon.phrases
        assert lexicon.stems or language == "en"  # English needs no stems
        assert lexicon.symbols["sarcasm_emoji"]


# The provider interface and its choice


def test_triage_uses_the_baseline_by_default_and_keeps_the_batch_order():
    items = [(text, language) for language in LANGUAGES for text, _, _ in CLEAR[language]]
    assert provider_for({}).name == "baseline"
    got = triage(items, {})
    assert got == BaselineProvider().classify(items)
    assert all(s.sentiment in SENTIMENTS and s.intent in INTENTS for s in got)
    assert triage([], {}) == []


def test_triage_reads_the_app_config_when_given_none(app):
    with app.app_context():
        assert provider_for().name == "baseline"
        assert triage([("hello", "en")]) == [Signals("neutral", "other")]


def test_the_openai_provider_needs_a_url_and_a_model():
    assert provider_for({"CAREBOX_TRIAGE_PROVIDER": "openai", "CAREBOX_TRIAGE_OPENAI_URL": "http://127.0.0.1:9/v1"}
                        ).name == "baseline"
    chosen = provider_for(_settings("http://127.0.0.1:9/v1"))
    assert isinstance(chosen, OpenAICompatibleProvider)
    assert chosen.endpoint == "http://127.0.0.1:9/v1/chat/completions"
    assert provider_for(_settings("http://127.0.0.1:9/v1")) is chosen  # one HTTP session per configuration


def test_signals_refuse_words_outside_the_design():
    assert Signals.checked("negative", "complaint") == Signals("negative", "complaint")
    with pytest.raises(ValueError):
        Signals.checked("angry", "complaint")


def test_a_model_answer_is_read_defensively():
    from app.triage.openai_provider import AnswerError, parse_labels

    def completion(content):
        return json.dumps({"choices": [{"message": {"content": content}}]}).encode()

    answer = completion(json.dumps([{"id": "1", "sentiment": " Negative", "intent": "COMPLAINT"},
                                    {"id": True, "sentiment": "positive", "intent": "praise"},
                                    "not an entry", {"id": 0, "sentiment": "positive"}]))
    assert parse_labels(answer, 2) == [None, Signals("negative", "complaint")]
    for body in (b"", b"[]", b'{"choices": []}', completion(None), completion("no json here"),
                 completion('{"labels": "none"}')):
        with pytest.raises(AnswerError):
            parse_labels(body, 2)


# The OpenAI-compatible provider against a real chat completions server

SECRET_KEY = "sk-test-9f8e7d6c5b4a"
CUSTOMER_TEXTS = [("my card was charged twice, order 5521, fix it", "en"),
                  ("когда вернут деньги за билет?", "ru"),
                  ("FREE BTC giveaway, DM us on WhatsApp +44 7700 900123", "en")]
MODEL_LABELS = [("neutral", "other"), ("positive", "praise"), ("negative", "complaint")]  # unlike the baseline's


class ChatCompletions(BaseHTTPRequestHandler):
    """POST /v1/chat/completions answering as `server.mode` says: ok, partial, slow, bad_json, 500, prose."""

    def do_POST(self):
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"), "body": body})
        asked = json.loads(body["messages"][1]["content"])["messages"]
        labels = [{"id": m["id"], "sentiment": MODEL_LABELS[m["id"] % 3][0], "intent": MODEL_LABELS[m["id"] % 3][1]}
                  for m in asked]
        mode = server.mode
        if mode == "slow":
            time.sleep(server.slow_seconds)
        if mode == "500":
            return self._send(500, b'{"error": {"message": "overloaded"}}')
        if mode == "bad_json":
            return self._send(200, b'{"choices": [{"message": {"content": "not json at all')
        if mode == "partial":  # a label outside the design's words, one left out, and a stray id
            labels[0]["intent"] = "rant"
            labels = labels[:-1] + [{"id": 99, "sentiment": "positive", "intent": "praise"}]
        content = json.dumps({"labels": labels})
        if mode == "prose":
            content = "Sure! Here are the labels:\n```json\n" + content + "\n```"
        self._send(200, json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode())

    def _send(self, status, payload):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the provider gave up waiting ("slow"), as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def chat_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatCompletions)
    server.daemon_threads = True
    server.mode, server.slow_seconds, server.requests = "ok", 2.0, []
    server.url = f"http://127.0.0.1:{server.server_port}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _settings(url, timeout=5):
    return {"CAREBOX_TRIAGE_PROVIDER": "openai", "CAREBOX_TRIAGE_OPENAI_URL": url,
            "CAREBOX_TRIAGE_OPENAI_MODEL": "tiny-labeller", "CAREBOX_TRIAGE_OPENAI_API_KEY": SECRET_KEY,
            "CAREBOX_TRIAGE_OPENAI_TIMEOUT": timeout}


def _assert_no_customer_text_nor_key(caplog):
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for text, _ in CUSTOMER_TEXTS:
        for fragment in (text, text[:12]):
            assert fragment not in logged
    assert SECRET_KEY not in logged


def test_the_model_labels_a_batch_in_one_request(chat_server, caplog):
    caplog.set_level(logging.DEBUG)
    got = triage(CUSTOMER_TEXTS, _settings(chat_server.url))
    assert got == [Signals(*labels) for labels in MODEL_LABELS]
    (request,) = chat_server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["authorization"] == f"Bearer {SECRET_KEY}"
    assert request["body"]["model"] == "tiny-labeller"
    sent = json.loads(request["body"]["messages"][1]["content"])["messages"]
    assert [(m["text"], m["language"]) for m in sent] == CUSTOMER_TEXTS
    _assert_no_customer_text_nor_key(caplog)


def test_a_long_batch_goes_out_in_several_requests(chat_server):
    from app.triage.openai_provider import BATCH_SIZE

    items = CUSTOMER_TEXTS * BATCH_SIZE
    got = OpenAICompatibleProvider(chat_server.url, "tiny-labeller").classify(items)
    assert len(chat_server.requests) == 3
    assert got == [Signals(*MODEL_LABELS[i % BATCH_SIZE % 3]) for i in range(len(items))]


def test_labels_inside_prose_and_fences_are_read(chat_server):
    chat_server.mode = "prose"
    assert triage(CUSTOMER_TEXTS, _settings(chat_server.url)) == [Signals(*labels) for labels in MODEL_LABELS]


def test_what_the_model_left_unlabelled_the_baseline_labels(chat_server, caplog):
    caplog.set_level(logging.DEBUG)
    chat_server.mode = "partial"
    got = triage(CUSTOMER_TEXTS, _settings(chat_server.url))
    baseline = BaselineProvider().classify(CUSTOMER_TEXTS)
    assert got == [baseline[0], Signals(*MODEL_LABELS[1]), baseline[2]]
    _assert_no_customer_text_nor_key(caplog)


@pytest.mark.parametrize("mode", ["slow", "bad_json", "500"])
def test_any_failure_falls_back_to_the_baseline_without_logging_texts(chat_server, caplog, mode):
    caplog.set_level(logging.DEBUG)
    chat_server.mode = mode
    got = triage(CUSTOMER_TEXTS, _settings(chat_server.url, timeout=0.3))
    assert got == BaselineProvider().classify(CUSTOMER_TEXTS)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any({"slow": "timeout", "bad_json": "not a chat completion", "500": "HTTP 500"}[mode] in w
               for w in warnings)
    _assert_no_customer_text_nor_key(caplog)


def test_an_endpoint_nobody_listens_on_falls_back_to_the_baseline(caplog):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    caplog.set_level(logging.DEBUG)
    got = triage(CUSTOMER_TEXTS, _settings(f"http://127.0.0.1:{port}/v1", timeout=0.5))
    assert got == BaselineProvider().classify(CUSTOMER_TEXTS)
    assert any("connection failed" in r.getMessage() for r in caplog.records)
    _assert_no_customer_text_nor_key(caplog)


# The labelled set (bench/data/triage): the yardstick of bench/triage_quality.py


def _labelled(language):
    path = DATA / f"{language}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_labelled_set_is_well_formed(language):
    rows = _labelled(language)
    assert len(rows) >= 200
    assert all(set(row) == {"id", "text", "network", "channel", "sentiment", "intent"} for row in rows)
    assert all(row["id"].startswith(f"{language}-") for row in rows)
    assert all(row["network"] in ("twitter", "facebook", "instagram") for row in rows)
    assert all(row["channel"] in ("public", "private") for row in rows)
    assert all(row["sentiment"] in SENTIMENTS and row["intent"] in INTENTS for row in rows)
    assert all(isinstance(row["text"], str) and row["text"].strip() for row in rows)
    ids, texts = Counter(row["id"] for row in rows), Counter(row["text"].strip() for row in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    assert [t for t, n in texts.items() if n > 1] == []
    assert set(Counter(row["intent"] for row in rows)) == set(INTENTS)
