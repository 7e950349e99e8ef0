"""Opaque page tokens: X's pagination_token and the Graph API's before/after cursors.

Both encode the id of an item, so a page boundary stays put when new items
arrive at the top of a list.
"""
import base64
import binascii

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_x_token(tweet_id):
    """X-looking token (lowercase base36) for 'the page starting at tweet_id'."""
    number, out = int(tweet_id), ""
    while number:
        number, digit = divmod(number, 36)
        out = _DIGITS[digit] + out
    return "7140" + (out or "0")


def decode_x_token(token):
    if not token.startswith("7140") or len(token) < 5:
        return None
    try:
        return int(token[4:], 36)
    except ValueError:
        return None


def encode_cursor(object_id):
    return base64.b64encode(str(object_id).encode()).decode()


def decode_cursor(cursor):
    try:
        return base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
