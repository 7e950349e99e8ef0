"""Demo data for `flask demo`: staff logins, three accounts connected to the sandbox network (X, a Facebook
Page, an Instagram account), canned responses in each language the sandbox's customers write in (English,
Russian, Belarusian, Arabic: app/sandbox/phrases.py), under the same shortcuts, a few private conversations,
one of them a public conversation that moved to DM, so the private half shows at once, and Instagram
comments on a post and a reel (with their context), a reply thread, a mention in someone else's caption
and an Instagram DM; and issue 16's routing (app/demo_routing.py): teams by language, example rules, a hidden
comment and a liked one."""
import json
import os
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.accounts import CREDENTIAL_KEYS, create_account, find_user_by_email, lock_accounts
from app.canned import save_canned
from app.conversations.windows import x_dm_link
from app.demo_routing import seed_routing
from app.extensions import db
from app.ingest.items import InboundAuthor, InboundItem, InboundPost
from app.ingest.pipeline import ingest
from app.models import CannedResponse, Conversation, Message, SocialAccount, utcnow
from app.sandbox import DEMO_FACEBOOK, DEMO_X
from app.sandbox.demo_accounts import DEMO_INSTAGRAM
from app.sandbox.personas import PERSONAS
from app.users import create_user, generate_password

DEMO_USERS = (
    ("admin@carebox.local", "admin", "Ada Admin"),
    ("manager@carebox.local", "manager", "Max Manager"),
    ("agent1@carebox.local", "agent", "Alex Agent"),
    ("agent2@carebox.local", "agent", "Sam Agent"),
)

# (shortcut, language, title, text): a greeting, an apology, asking for the order number, thanks, a closing.
DEMO_CANNED = (
    ("hello", "en", "Greeting",
     "Hi {{contact.name}}, thanks for reaching out! This is {{agent.name}} from the support team. How can I help?"),
    ("sorry", "en", "Apology",
     "I'm really sorry about this, {{contact.name}}. That's not the experience we want you to have, "
     "and I'll sort it out for you."),
    ("order", "en", "Ask for the order number",
     "Could you send me your order number in a direct message, please? I'll check what's happening right away."),
    ("thanks", "en", "Thanks", "Thank you for your patience, {{contact.name}}!"),
    ("bye", "en", "Closing", "Glad we could help! If anything else comes up, just write to us here. Have a great day!"),

    ("hello", "ru", "Приветствие",
     "Здравствуйте, {{contact.name}}! Меня зовут {{agent.name}}, я из службы поддержки. Чем могу помочь?"),
    ("sorry", "ru", "Извинение",
     "Простите, пожалуйста, за эту ситуацию, {{contact.name}}. Так быть не должно — я сейчас во всём разберусь."),
    ("order", "ru", "Запросить номер заказа",
     "Пришлите, пожалуйста, номер заказа в личные сообщения — я сразу проверю, что с ним происходит."),
    ("thanks", "ru", "Благодарность", "Спасибо за терпение, {{contact.name}}!"),
    ("bye", "ru", "Завершение", "Рады были помочь! Если появятся вопросы, пишите нам сюда. Хорошего дня!"),

    ("hello", "be", "Прывітанне",
     "Добры дзень, {{contact.name}}! Мяне завуць {{agent.name}}, я са службы падтрымкі. Чым магу дапамагчы?"),
    ("sorry", "be", "Прабачэнне",
     "Прабачце, калі ласка, за гэтую сітуацыю, {{contact.name}}. Так не павінна быць — я зараз усё высветлю."),
    ("order", "be", "Запытаць нумар замовы",
     "Дашліце, калі ласка, нумар замовы ў асабістыя паведамленні — я адразу праверу, што з ёй адбываецца."),
    ("thanks", "be", "Падзяка", "Дзякуй за цярплівасць, {{contact.name}}!"),
    ("bye", "be", "Развітанне", "Рады былі дапамагчы! Калі з'явяцца пытанні, пішыце нам сюды. Добрага дня!"),

    ("hello", "ar", "ترحيب", "مرحبًا {{contact.name}}، معك {{agent.name}} من فريق الدعم. كيف أقدر أساعدك؟"),
    ("sorry", "ar", "اعتذار",
     "نعتذر منك يا {{contact.name}} عن هذا الإزعاج، فهذا ليس ما نتمناه لك. سأتابع الموضوع بنفسي وأحله لك "
     "في أسرع وقت."),
    ("order", "ar", "طلب رقم الطلب", "ممكن ترسل لنا رقم الطلب في رسالة خاصة؟ سأتحقق من حالته فورًا."),
    ("thanks", "ar", "شكر", "شكرًا على صبرك يا {{contact.name}}، الله يعطيك العافية!"),
    ("bye", "ar", "ختام", "سعدنا بخدمتك! إذا احتجت أي شيء آخر، راسلنا هنا في أي وقت. يومك سعيد!"),
)


@dataclass(frozen=True)
class DemoMessage:
    """One message of the demo's conversations: `minutes` before seeding, by the customer `handle` (a sandbox
    persona) or by the brand to them (`from_brand`), in public or in private."""

    external_id: str
    network: str
    handle: str
    minutes: int
    text: str
    channel: str = "private"
    from_brand: bool = False
    post: str | None = None  # a public comment's Page post


# Sarah complains in public, is asked to DM, and goes on there (the public conversation moved to DM); the
# others write only in private, one answered natively from the Page inbox. External ids are the demo's own:
# they cannot collide with the sandbox's numeric ones.
DEMO_STORY = (
    DemoMessage("demo-x-mention-1", "twitter", "sarah_mitch", 52,
                "@carebox_demo My order #482913 was supposed to arrive on Monday and it's still not here.",
                channel="public"),
    DemoMessage("demo-x-reply-1", "twitter", "sarah_mitch", 47,
                "@sarah_mitch Sorry about that, Sarah! Send us the order number by DM and we'll check: "
                + x_dm_link(DEMO_X["user_id"]), channel="public", from_brand=True),
    DemoMessage("demo-x-dm-1", "twitter", "sarah_mitch", 44,
                "As promised, here are the details: order #482913, delivery to 12 Sandbox Lane, Exampleton."),
    DemoMessage("demo-x-dm-2", "twitter", "sarah_mitch", 40,
                "Thanks, Sarah. I've found your order and passed it to the delivery team.", from_brand=True),
    DemoMessage("demo-x-dm-3", "twitter", "sarah_mitch", 8, "Any news on order #482913? I'm at home until 6pm."),
    DemoMessage("demo-x-dm-4", "twitter", "ahmed_alharbi", 12,
                "مرحبًا، الطلب رقم 730415 لم يصل. العنوان في الطلب: شارع المثال، مبنى 7، مدينة النموذج."),
    DemoMessage("demo-fb-dm-1", "facebook", "anna_smirnova", 26,
                "Здравствуйте, заказ #615204 так и не пришёл. Адрес в заказе: ул. Примерная, д. 9, кв. 7, г. Образцово."),
    DemoMessage("demo-fb-dm-2", "facebook", "ales_kavaliou", 130,
                "Ці можна змяніць адрас дастаўкі замовы #204871 на вул. Узорная, д. 3, кв. 5, г. Прыкладаўск?"),
    DemoMessage("demo-fb-dm-3", "facebook", "ales_kavaliou", 115, "Прынята, дзякуй! Адрас абнавілі.",
                from_brand=True),
    # Comments on the Page's post: thanks the brand liked, and spam an agent hid (app/demo_routing.py).
    DemoMessage("demo-fb-c-1", "facebook", "lucy_harper", 70,
                "My parcel came a day early and the packaging was lovely. Thank you! 👏", channel="public",
                post="demo-fb-post-1"),
    DemoMessage("demo-fb-c-2", "facebook", "mike_t_runs", 55,
                "FREE phone giveaway!!! Claim yours at https://free-prizes.example/claim before it ends 🎁🎁",
                channel="public", post="demo-fb-post-1"),
)
DEMO_MOVED = ("demo-x-mention-1", "demo-x-dm-1")  # the public message whose conversation moved, the private one


@dataclass(frozen=True)
class DemoInstagram:
    """One Instagram message of the demo: like DemoMessage, plus the media it hangs off (`post`, a key of
    DEMO_INSTAGRAM_POSTS) and, for a reply, the comment it answers (`parent`)."""

    external_id: str
    handle: str
    minutes: int
    text: str
    post: str | None = None
    parent: str | None = None
    channel: str = "public"
    from_brand: bool = False


# The brand's post and reel, and someone else's post whose caption mentions the brand (the caption mention is
# a message whose external id is the media's own). Captions of other people's media drop the "@" (Instagram).
DEMO_INSTAGRAM_POSTS = {
    "demo-ig-media-sale": dict(
        caption="Weekend sale: 20% off everything in the app until Sunday night. Tell us what you'll get!",
        media_type="IMAGE", product_type="FEED", hours=6, owned=True),
    "demo-ig-media-reel": dict(caption="How same-day delivery works, in 30 seconds 🚚", media_type="VIDEO",
                               product_type="REELS", hours=48, owned=True),
    "demo-ig-media-mention": dict(
        caption="Замова ад carebox.demo прыйшла без інструкцыі. Хто ведае, дзе яе знайсці?", media_type="IMAGE",
        product_type="FEED", hours=3, owned=False, owner="ales_kavaliou"),
}
DEMO_INSTAGRAM_STORY = (
    DemoInstagram("demo-ig-c-1", "ahmed_alharbi", 95, "هل الخصم يشمل التوصيل السريع أيضًا؟", post="demo-ig-media-sale"),
    DemoInstagram("demo-ig-c-2", "carebox.demo", 80, "@ahmed_alharbi نعم، الخصم يشمل كل الطلبات هذا الأسبوع 🙌",
                  post="demo-ig-media-sale", parent="demo-ig-c-1", from_brand=True),
    DemoInstagram("demo-ig-c-3", "ahmed_alharbi", 20, "وماذا عن الطلبات التي دفعتها أمس؟", post="demo-ig-media-sale",
                  parent="demo-ig-c-1"),
    DemoInstagram("demo-ig-c-4", "anna_smirnova", 35, "А в Образцово доставка в тот же день тоже работает?",
                  post="demo-ig-media-reel"),
    DemoInstagram("demo-ig-media-mention", "ales_kavaliou", 180,
                  DEMO_INSTAGRAM_POSTS["demo-ig-media-mention"]["caption"], post="demo-ig-media-mention"),
    DemoInstagram("demo-ig-dm-1", "sarah_mitch", 30,
                  "Hi! I saw your reel. Can I change the delivery slot of order #482913 to tomorrow morning?",
                  channel="private"),
    DemoInstagram("demo-ig-dm-2", "sarah_mitch", 25, "Hi Sarah, of course: which time suits you best?",
                  channel="private", from_brand=True),
    DemoInstagram("demo-ig-dm-3", "sarah_mitch", 5, "Between 9 and 11, please.", channel="private"),
)


def seed_demo(sandbox_url):
    """Idempotent. Returns [(email, role, password)] for the console."""
    logins = _seed_users()
    accounts = _seed_accounts(sandbox_url)
    _seed_canned()
    db.session.commit()
    _seed_conversations(accounts)
    db.session.commit()
    seed_routing(manager_email=DEMO_USERS[1][0])
    db.session.commit()
    return logins


def _logins_file():
    return Path(current_app.instance_path) / "demo-logins.txt"


def _seed_users():
    path = _logins_file()
    saved = json.loads(path.read_text()) if path.exists() else {}
    logins = []
    for email, role, name in DEMO_USERS:
        password = saved.get(email)
        user = find_user_by_email(db.session, email)
        if user is None:
            password = password or generate_password()
            create_user(db.session, email=email, role=role, name=name, password=password)
        elif password is None or not user.check_password(password):
            password = generate_password()  # the saved one is gone or was changed: issue a fresh one
            user.set_password(password)
        saved[email] = password
        logins.append((email, role, password))
    path.write_text(json.dumps(saved, indent=2))
    os.chmod(path, 0o600)
    return logins


def _seed_accounts(sandbox_url):
    wanted = (
        ("twitter", "Carebox Demo on X", DEMO_X),
        ("facebook", "Carebox Demo Page", DEMO_FACEBOOK),
        ("instagram", "Carebox Demo on Instagram", DEMO_INSTAGRAM),
    )
    accounts = {}
    for network, name, creds in wanted:
        existing = db.session.execute(
            sa.select(SocialAccount).where(SocialAccount.network == network, SocialAccount.name == name)
        ).scalar_one_or_none()
        credentials = {k: v for k, v in creds.items() if k in _credential_keys(network)}
        if existing is None:
            existing = create_account(db.session, network=network, name=name, api_base_url=sandbox_url,
                                      credentials=credentials)
            if network == "instagram":
                existing.handle = DEMO_INSTAGRAM["username"]
        elif existing.api_base_url != sandbox_url:
            existing.api_base_url = sandbox_url
        accounts[network] = existing.id
    return accounts


def _seed_conversations(accounts):
    """The demo story, once, through the ingest path (contacts, conversations, SLA clocks as for any post);
    then the moved public conversation links to its private one, as move-to-DM leaves it."""
    now = utcnow()
    personas = {p.handle: p for p in PERSONAS}
    brand = {"twitter": InboundAuthor(DEMO_X["user_id"], DEMO_X["username"], DEMO_X["name"]),
             "facebook": InboundAuthor(DEMO_FACEBOOK["page_id"], None, DEMO_FACEBOOK["name"])}
    conversation_of = {}
    for network, account_id in accounts.items():
        if _seeded(network):  # each network's story once (a database seeded before Instagram gets its own)
            continue
        if network == "instagram":
            account = lock_accounts(db.session, [account_id])[account_id]
            ingest(db.session, account, instagram_items(now, personas))
            continue
        items, last_from = [], {}  # last_from: (customer, channel) -> their latest message, which the brand answers
        for message in (m for m in DEMO_STORY if m.network == network):
            customer = _demo_author(personas[message.handle], network)
            key = (message.handle, message.channel)
            items.append(InboundItem(
                message.external_id, message.text, now - timedelta(minutes=message.minutes),
                brand[network] if message.from_brand else customer, network=network, channel=message.channel,
                from_brand=message.from_brand,
                in_reply_to=last_from.get(key) if message.from_brand else message.post,
                thread_id=message.external_id if message.post else None,
                counterpart=customer if message.from_brand and message.channel == "private" else None,
                language=personas[message.handle].lang))
            if not message.from_brand:
                last_from[key] = message.external_id
        account = lock_accounts(db.session, [account_id])[account_id]
        conversation_of.update({r.external_id: r.conversation_id for r in ingest(db.session, account, items)})
    public_id, private_id = (conversation_of.get(external_id) for external_id in DEMO_MOVED)
    public = db.session.get(Conversation, public_id) if public_id else None
    if public is not None and private_id and public.moved_to_id is None:
        public.moved_to_id = private_id


def _seeded(network):
    ids = ([m.external_id for m in DEMO_INSTAGRAM_STORY] if network == "instagram"
           else [m.external_id for m in DEMO_STORY if m.network == network])
    return bool(ids) and bool(db.session.scalar(sa.select(sa.func.count(Message.id)).where(
        Message.network == network, Message.external_id.in_(ids))))


def instagram_user(persona):
    """A persona as an Instagram customer: the same IGSID on comments and DMs, a username like theirs."""
    username = persona.handle.replace("_", ".")
    return InboundAuthor(str(17 * 10**15 + persona._hash), username, persona.name,
                         profile_url=f"https://www.instagram.com/{username}")


def instagram_items(now, personas):
    """The Instagram story as the connector would map it: comments on the brand's media (owned posts), the
    brand's native reply, a caption mention on someone else's media, DMs."""
    brand = InboundAuthor(DEMO_INSTAGRAM["ig_user_id"], DEMO_INSTAGRAM["username"], DEMO_INSTAGRAM["name"])
    posts = {}
    for media_id, p in DEMO_INSTAGRAM_POSTS.items():
        owner = _demo_username(p.get("owner")) if not p["owned"] else DEMO_INSTAGRAM["username"]
        posts[media_id] = InboundPost(
            media_id, caption=p["caption"], permalink=f"https://www.instagram.com/p/{media_id}/",
            media_type=p["media_type"], product_type=p["product_type"], owner_handle=owner, owned=p["owned"],
            posted_at=now - timedelta(hours=p["hours"]))
    items = []
    for m in DEMO_INSTAGRAM_STORY:
        persona = personas.get(m.handle)
        author = brand if m.from_brand else instagram_user(persona)
        customer = instagram_user(personas["sarah_mitch"]) if m.channel == "private" else None
        is_caption = m.external_id == m.post
        in_reply_to = None if m.channel == "private" or is_caption else (m.parent or m.post)
        items.append(InboundItem(
            m.external_id, m.text, now - timedelta(minutes=m.minutes), author, network="instagram",
            channel=m.channel, from_brand=m.from_brand, in_reply_to=in_reply_to,
            thread_id=(m.parent or m.external_id) if m.channel == "public" else None,
            counterpart=customer if m.from_brand and m.channel == "private" else None,
            post=posts.get(m.post), language=persona.lang if persona is not None else None))
    return items


def _demo_username(handle):
    return handle.replace("_", ".") if handle else None


def _demo_author(persona, network):
    if network == "twitter":
        user = persona.x_user
        return InboundAuthor(user["id"], user["username"], user["name"], user["followers_count"],
                             f"https://x.com/{user['username']}", accepts_dms=persona.accepts_dms)
    return InboundAuthor(persona.facebook_user["id"], None, persona.facebook_user["name"])


def remember_demo_customers(network):
    """Tell a freshly started sandbox `network` about the demo story's customers, so answering them works:
    X knows the users (and whether they accept DMs), Messenger has their conversations with the standard
    window running from their last message. No message is added: the pollers find nothing to store twice."""
    personas = {p.handle: p for p in PERSONAS}
    last_written = dict(db.session.execute(sa.select(Message.external_id, Message.created_at).where(
        Message.external_id.in_([m.external_id for m in DEMO_STORY if not m.from_brand]))).all())
    page = network.pages.get(DEMO_FACEBOOK["page_id"])
    for message in DEMO_STORY:
        persona = personas[message.handle]
        if message.network == "twitter":
            network.customer({**persona.x_user, "receives_your_dm": persona.accepts_dms})
        elif page is not None and message.external_id in last_written and message.channel == "private":
            with network.lock:
                conversation = network.messenger.conversation_with(page, persona.facebook_user)
                written = _aware(last_written[message.external_id])
                conversation.last_customer_time = max(conversation.last_customer_time or written, written)


def _seed_canned():
    """Each demo canned response that is missing (by shortcut and language); edited ones are left as they are."""
    present = set(db.session.execute(sa.select(sa.func.lower(CannedResponse.shortcut), CannedResponse.language)).all())
    actor = find_user_by_email(db.session, DEMO_USERS[1][0])  # the manager keeps them
    for shortcut, language, title, text in DEMO_CANNED:
        if (shortcut, language) not in present:
            save_canned(db.session, actor=actor, title=title, shortcut=shortcut, text=text, language=language)


def _credential_keys(network):
    return CREDENTIAL_KEYS[network]


def _aware(when):
    """SQLite hands datetimes back naive (they are stored in UTC)."""
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
