"""Helpers shared by the moderation tests: accounts on the sandbox, customer messages polled into Carebox
through the real connectors, and the sandbox's view of an object's moderation."""
import requests
import sqlalchemy as sa

from app.accounts import CREDENTIAL_KEYS, create_account
from app.models import Message, SocialAccount, utcnow
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from app.worker.polling import poll_account
from tests.conftest import writing

BRAND = DEMO_X["user_id"]
PAGE = DEMO_FACEBOOK["page_id"]
IG = DEMO_INSTAGRAM["ig_user_id"]
DEMOS = {"twitter": DEMO_X, "facebook": DEMO_FACEBOOK, "instagram": DEMO_INSTAGRAM}


def connect(db, sandbox, network):
    demo = DEMOS[network]
    with writing(db) as session:
        account = create_account(session, network=network, name=f"Demo {network}", api_base_url=sandbox.url,
                                 credentials={k: v for k, v in demo.items() if k in CREDENTIAL_KEYS[network]})
    return account


def poll_now(app, db, account):
    """One real poll of `account` right now (as a worker would when it is due)."""
    with writing(db) as session:
        session.execute(sa.update(SocialAccount).where(SocialAccount.id == account.id).values(next_poll_at=utcnow()))
    outcome = poll_account(app, account.id, "test-worker")
    assert outcome.startswith("ok"), outcome
    db.session.expire_all()


def on_network(sandbox, network, text="Buy cheap followers at bit.ly/spam"):
    """A customer's public message the brand may hide: an X reply in the brand's own conversation, a Facebook
    comment on the Page's post, an Instagram comment on the brand's media. Returns its external id."""
    if network == "twitter":
        root = sandbox.network.post_brand_tweet(BRAND, "Our holiday opening hours are out")
        return sandbox.network.inject_tweet(BRAND, f"@carebox_demo {text}", in_reply_to=root.id).id
    if network == "facebook":
        return sandbox.network.inject_comment(PAGE, text, author={"id": "9001", "name": "Spam Bot"}).id
    book = sandbox.network.instagram
    return book.add_comment(book.media_of(book.accounts[IG])[0].id, text, {"username": "spam.account"}).id


def stored(db, external_id):
    db.session.commit()
    return db.session.scalars(sa.select(Message).where(Message.external_id == external_id)).one()


def customer_message(app, db, sandbox, network, text="Buy cheap followers at bit.ly/spam"):
    """(account, the stored Message) for a fresh customer message on `network`, polled in for real."""
    account = connect(db, sandbox, network)
    external_id = on_network(sandbox, network, text)
    poll_now(app, db, account)
    return account, stored(db, external_id)


def network_state(sandbox, object_id):
    response = requests.get(f"{sandbox.url}/_sandbox/moderation/{object_id}", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def moderation_actions(sandbox, network):
    """The moderation requests the sandbox served on `network`, oldest first."""
    return requests.get(f"{sandbox.url}/_sandbox/moderation?network={network}", timeout=5).json()["actions"]


def gone_from_network(sandbox, network, external_id):
    """Delete a customer's message on the network behind Carebox's back."""
    if network == "instagram":
        sandbox.network.instagram.delete_comment(external_id)
    else:
        sandbox.network.delete(external_id)
