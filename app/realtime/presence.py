"""Who is viewing and who is typing in each conversation, so two agents never answer the same customer.

Kept in memory per web process. Typing expires on its own (clients repeat "typing" while they type),
so a closed laptop never leaves a colleague looking "busy" for long.
"""
import json
import threading
import time

import redis

TYPING_TTL_SECONDS = 8


class Presence:
    def __init__(self):
        self._lock = threading.Lock()
        self._sessions = {}  # sid -> {"user": {"id", "name"}, "viewing": conversation id | None, "typing_until": float}

    def connect(self, sid, user_id, name):
        with self._lock:
            self._sessions[sid] = {"user": {"id": user_id, "name": name}, "viewing": None, "typing_until": 0.0}

    def user_id(self, sid):
        """The id of the user behind connection `sid` (None: not connected here)."""
        with self._lock:
            session = self._sessions.get(sid)
        return session["user"]["id"] if session else None

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



class SharedPresence(Presence):
    """Presence shared by every web node through Redis (set when REDIS_URL is).

    Each node keeps its own connections in memory (as Presence does) and mirrors them into one
    Redis hash; snapshots read the hash, so an agent on node A sees a colleague typing on node B.
    Entries carry a heartbeat: a node that dies stops refreshing them and they fade out. If Redis
    is unreachable, the node falls back to what it knows locally and keeps serving its clients.
    """

    STALE_SECONDS = 60
    HEARTBEAT_SECONDS = 20

    def __init__(self, redis_url, prefix="carebox"):
        super().__init__()

        self.key = f"{prefix}:presence"  # one hash per deployment sharing this Redis (CAREBOX_SOCKETIO_CHANNEL)
        self.redis = redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)
        self._heartbeat = None

    def _entry(self, sid):
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            return {**session, "typing_until": session["typing_until"] - time.monotonic() + time.time(),
                    "seen": time.time()}

    def _mirror(self, sid):
        entry = self._entry(sid)
        try:
            if entry is None:
                self.redis.hdel(self.key, sid)
            else:
                self.redis.hset(self.key, sid, json.dumps(entry))
        except Exception:  # Redis down: local presence still works for this node's clients
            pass
        self._start_heartbeat()

    def connect(self, sid, user_id, name):
        super().connect(sid, user_id, name)
        self._mirror(sid)

    def disconnect(self, sid):
        changed = super().disconnect(sid)
        self._mirror(sid)
        return changed

    def view(self, sid, conversation_id):
        changed = super().view(sid, conversation_id)
        self._mirror(sid)
        return changed

    def typing(self, sid, conversation_id, is_typing):
        changed = super().typing(sid, conversation_id, is_typing)
        self._mirror(sid)
        return changed

    def _shared_sessions(self):
        try:
            raw = self.redis.hgetall(self.key)
        except Exception:
            return None
        now = time.time()
        sessions = []
        for value in raw.values():
            entry = json.loads(value)
            if entry.get("seen", 0) > now - self.STALE_SECONDS:
                sessions.append(entry)
        return sessions

    def snapshot(self, conversation_id):
        shared = self._shared_sessions()
        if shared is None:
            return super().snapshot(conversation_id)
        now = time.time()
        viewers, typers = {}, {}
        for entry in shared:
            if entry["viewing"] != conversation_id:
                continue
            viewers[entry["user"]["id"]] = entry["user"]
            if entry["typing_until"] > now:
                typers[entry["user"]["id"]] = entry["user"]
        return {"conversation_id": conversation_id, "viewers": list(viewers.values()), "typers": list(typers.values())}

    def all_snapshots(self):
        shared = self._shared_sessions()
        if shared is None:
            return super().all_snapshots()
        watched = {e["viewing"] for e in shared if e["viewing"] is not None}
        return [self.snapshot(c) for c in sorted(watched)]

    def _start_heartbeat(self):
        if self._heartbeat is not None:
            return
        self._heartbeat = threading.Thread(target=self._beat, name="presence-heartbeat", daemon=True)
        self._heartbeat.start()

    def _beat(self):
        while True:
            time.sleep(self.HEARTBEAT_SECONDS)
            with self._lock:
                sids = list(self._sessions)
            for sid in sids:
                self._mirror(sid)


def presence_for(redis_url, prefix="carebox"):
    return SharedPresence(redis_url, prefix) if redis_url else Presence()
