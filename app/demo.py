"""Demo data for `flask demo`: staff logins, two accounts connected to the sandbox network, and canned
responses in each language the sandbox's customers write in (English, Russian, Belarusian, Arabic:
app/sandbox/phrases.py), under the same shortcuts."""
import json
import os
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.accounts import CREDENTIAL_KEYS, create_account, find_user_by_email
from app.canned import save_canned
from app.extensions import db
from app.models import CannedResponse, SocialAccount
from app.sandbox import DEMO_FACEBOOK, DEMO_X
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


def seed_demo(sandbox_url):
    """Idempotent. Returns [(email, role, password)] for the console."""
    logins = _seed_users()
    _seed_accounts(sandbox_url)
    _seed_canned()
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
    )
    for network, name, creds in wanted:
        existing = db.session.execute(
            sa.select(SocialAccount).where(SocialAccount.network == network, SocialAccount.name == name)
        ).scalar_one_or_none()
        credentials = {k: v for k, v in creds.items() if k in _credential_keys(network)}
        if existing is None:
            create_account(db.session, network=network, name=name, api_base_url=sandbox_url, credentials=credentials)
        elif existing.api_base_url != sandbox_url:
            existing.api_base_url = sandbox_url


def _seed_canned():
    """Each demo canned response that is missing (by shortcut and language); edited ones are left as they are."""
    present = set(db.session.execute(sa.select(sa.func.lower(CannedResponse.shortcut), CannedResponse.language)).all())
    actor = find_user_by_email(db.session, DEMO_USERS[1][0])  # the manager keeps them
    for shortcut, language, title, text in DEMO_CANNED:
        if (shortcut, language) not in present:
            save_canned(db.session, actor=actor, title=title, shortcut=shortcut, text=text, language=language)


def _credential_keys(network):
    return CREDENTIAL_KEYS[network]
