"""The password rule, one for every place a password is set (CLI, admin pages, API, change-password page, demo).

Length alone lets "password1234" through. zxcvbn estimates how many guesses a password takes, knowing
common passwords, dictionary words, names, keyboard patterns, dates and l33t substitutions, and the
user's own e-mail and name (given as user inputs). We ask for its score 3 ("safely unguessable")
or more. The upper bound keeps zxcvbn's matching (which grows faster than the length) and hashing
cheap for everyone.
"""
import re
import secrets

from flask_babel import gettext as _

MIN_LENGTH = 12
MAX_LENGTH = 64  # NIST SP 800-63B asks to allow at least 64
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable; 3 resists an offline attack on a slow hash



def password_problem(password, *, email=None, name=None):
    """What is wrong with `password` as a readable sentence in the reader's language, or None when it may be used.

    Carebox's own sentences only: zxcvbn's English warnings are not passed on (they cannot be translated),
    its findings choose which of our sentences to say."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return _("The password needs at least %(num)s characters.", num=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password can have at most %(num)s characters.", num=MAX_LENGTH)
    # Imported here, not at the top: its word lists cost every web and worker process memory, and only
    # the few requests that set a password need them.
    from zxcvbn import zxcvbn

    inputs = _user_inputs(email, name)
    result = zxcvbn(password, user_inputs=inputs, max_length=MAX_LENGTH)
    if result["score"] >= MIN_SCORE:
        return None
    dictionaries = {m.get("dictionary_name") for m in result["sequence"] if m.get("pattern") == "dictionary"}
    if "user_inputs" in dictionaries:
        return _("The password is too close to your e-mail address or name. "
                 "A few uncommon words together are easy to remember and hard to guess.")
    if "passwords" in dictionaries and len(result["sequence"]) <= 2:
        return _("This is one of the most common passwords: choose another.")
    patterns = {m.get("pattern") for m in result["sequence"]}
    if patterns & {"spatial", "repeat", "sequence"}:
        return _("This password is too easy to guess: keyboard rows, repeats and sequences like abc or 123 are "
                 "among the first things tried. A few uncommon words together are easy to remember and hard to guess.")
    if "date" in patterns:
        return _("This password is too easy to guess: dates and years are among the first things tried. "
                 "A few uncommon words together are easy to remember and hard to guess.")
    return _("This password is too easy to guess. "
             "A few uncommon words together are easy to remember and hard to guess.")


def _user_inputs(email, name):
    words = ["carebox"]
    for value in (email, name, (email or "").split("@")[0]):
        if value:
            parts = [w for w in re.split(r"[^\w]+", value.lower()) if w]
            words.extend([value.lower(), "".join(parts), *(w for w in parts if len(w) >= 3)])
    return list(dict.fromkeys(words))


def generate_password():
    """A random password that passes the rule (shown once to whoever needs it)."""
    while True:
        candidate = secrets.token_urlsafe(15)  # 20 characters, ~120 bits
        if password_problem(candidate) is None:
            return candidate
