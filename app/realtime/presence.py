"""Who is viewing and who is typing in each conversation, so two agents never answer the same customer.

Kept in memory per web process. Typing expires on its own (clients repeat "typing" while they type),
so a closed laptop never leaves a colleague looking "busy" for long.
"""
import threading
import time

TYPING_TTL_SECONDS = 8


class Presence:
    def __init__(self):
        self._lock = threading.Lock()
        self._sessions = {}  # sid -> {"user": {"id", "name"}, "viewing": conversation id | None, "typing_until": float}

    def connect(self, sid, user_id, name):
        with self._lock:
            self._sessions[sid] = {"user": {"id": user_id, "name": name}, "viewing": None, "typing_until": 0.0}

    def disconnect(self, sid):
        """Forget a connection. Returns the conversation whose presence changed, if any."""
        with self._lock:
            session = self._sessions.pop(sid, None)
        return session["viewing"] if session else None

    def view(self, sid, conversation_id):
        """Returns the conversations whose presence changed (the one left and the one opened)."""
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return []
            previous = session["viewing"]
            session["viewing"] = conversation_id
            session["typing_until"] = 0.0
        return [c for c in {previous, conversation_id} if c is not None and previous != conversation_id]

    def typing(self, sid, conversation_id, is_typing):
        """Returns True when the typers of that conversation changed."""
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return False
            was = session["typing_until"] > time.monotonic() and session["viewing"] == conversation_id
            session["viewing"] = conversation_id
            session["typing_until"] = time.monotonic() + TYPING_TTL_SECONDS if is_typing else 0.0
        return was != bool(is_typing)

    def snapshot(self, conversation_id):
        now = time.monotonic()
        viewers, typers = {}, {}
        with self._lock:
            for session in self._sessions.values():
                if session["viewing"] != conversation_id:
                    continue
                user = session["user"]
                viewers[user["id"]] = user
                if session["typing_until"] > now:
                    typers[user["id"]] = user
        return {"conversation_id": conversation_id, "viewers": list(viewers.values()), "typers": list(typers.values())}

    def all_snapshots(self):
        with self._lock:
            watched = {s["viewing"] for s in self._sessions.values() if s["viewing"] is not None}
        return [self.snapshot(c) for c in sorted(watched)]

    def user_of(self, sid):
        with self._lock:
            session = self._sessions.get(sid)
            return dict(session["user"]) if session else None


presence = Presence()
