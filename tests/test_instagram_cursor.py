"""The Instagram poll's cursor and call budget as plain functions (instagram_cursor.py): no network.

A simulated account answers reads the way Instagram does (newest first, one call a page), and a poll may make
at most K calls: every media is read within a bounded number of polls whatever the others do.
"""
from datetime import datetime, timedelta, timezone

from app.connectors.instagram_cursor import (
    AGEING,
    DEFAULT_CALLS_PER_POLL,
    MIN_CALLS,
    OVERLAP,
    RECENT,
    InstagramCursor,
    calls_for_poll,
)

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(hours=24)


def at(moment):
    return int(moment.timestamp())


def fresh(now=NOW):
    return InstagramCursor.load({}, now, DAY)


def read_through(cursor, media_id, now, *, found=0, newest=None):
    """A read of `media_id` that finds `found` new comments on one page and reaches its end."""
    cursor.start_read(media_id)
    cursor.read_page(media_id, found=found, newest=newest, next_after=None)
    return cursor.finished(media_id, now)


def test_a_media_seen_first_is_read_down_to_the_window_and_then_from_its_newest_comment():
    cursor = fresh()
    cursor.saw_media("m1", 3, at(NOW - timedelta(hours=2)))
    assert cursor.plan(NOW) == ["m1"]
    plan = cursor.start_read("m1")
    assert (plan.after, plan.full, plan.stop_before) == (None, False, at(NOW - DAY))
    assert read_through(cursor, "m1", NOW, found=3, newest=at(NOW - timedelta(minutes=5)))
    state = cursor.media["m1"]
    assert (state.count, state.newest, state.read, state.gap) == (3, at(NOW - timedelta(minutes=5)), at(NOW), None)
    later = NOW + timedelta(minutes=30)
    cursor.saw_media("m1", 4, None)
    assert cursor.plan(later) == ["m1"]  # the count moved
    assert cursor.start_read("m1").stop_before == at(NOW - timedelta(minutes=5)) - int(OVERLAP.total_seconds())


def test_a_count_the_new_comments_do_not_explain_reads_the_whole_media_again():
    cursor = fresh()
    cursor.saw_media("m1", 2, at(NOW - timedelta(hours=3)))
    read_through(cursor, "m1", NOW, found=2, newest=at(NOW - timedelta(hours=2)))
    cursor.saw_media("m1", 4, None)  # two more: one new top-level comment, one reply on an old comment
    assert not read_through(cursor, "m1", NOW, found=1, newest=at(NOW))
    plan = cursor.start_read("m1")
    assert plan.full and plan.stop_before is None and plan.after is None
    cursor.read_page("m1", found=0, newest=at(NOW), next_after=None)
    assert cursor.finished("m1", NOW) and cursor.media["m1"].count == 4


def test_a_read_stopped_part_way_goes_on_from_its_page_and_survives_the_stored_json():
    cursor = fresh()
    cursor.saw_media("m1", 300, at(NOW - timedelta(hours=1)))
    cursor.start_read("m1")
    cursor.read_page("m1", found=50, newest=at(NOW), next_after="QVFI")
    stored = InstagramCursor.load(cursor.dump(), NOW, DAY)
    assert stored.known_work(NOW) == ["m1"]  # before any listing
    plan = stored.start_read("m1")
    assert plan.after == "QVFI" and not plan.full
    stored.restart("m1")
    assert stored.start_read("m1").after is None  # a cursor Graph refused: from the newest comment again
    stored.read_page("m1", found=250, newest=None, next_after=None)
    assert stored.finished("m1", NOW) and stored.media["m1"].newest == at(NOW)


def test_order_changed_then_recently_active_then_ageing():
    cursor = fresh()
    for media_id, hours in (("quiet", 30), ("busy", 2), ("active", 5), ("old", 60)):
        cursor.saw_media(media_id, 1, at(NOW - timedelta(hours=hours)))
        read_through(cursor, media_id, NOW - timedelta(minutes=30), found=1, newest=at(NOW - timedelta(hours=hours)))
    cursor.media["old"].read = at(NOW - AGEING - timedelta(hours=5))
    cursor.media["quiet"].read = at(NOW - AGEING - timedelta(minutes=1))
    cursor.media["active"].active = at(NOW - RECENT / 2)
    cursor.saw_media("busy", 2, None)
    # The ageing slot (the oldest read), then the changed count, recent activity, the other aged media.
    assert cursor.plan(NOW) == ["old", "busy", "active", "quiet"]
    fresh_reads = NOW - timedelta(minutes=1)
    for media_id in ("old", "quiet"):
        cursor.media[media_id].read = at(fresh_reads)
    assert cursor.plan(NOW) == ["busy", "active"]  # nothing else is due


def simulate(media_count, calls_per_poll, polls, busy):
    """Polls of a simulated account where each read costs one call and `busy` media get a new comment
    before every poll; the polls at which each media was read."""
    cursor = fresh()
    now = NOW
    posted = {f"m{n}": at(NOW - timedelta(hours=n + 1)) for n in range(media_count)}
    counts = dict.fromkeys(posted, 1)
    reads = {media_id: [] for media_id in posted}
    for poll in range(polls):
        now += timedelta(minutes=5)
        for media_id in busy:
            counts[media_id] += 1
        calls = calls_per_poll
        order = cursor.known_work(now)
        calls -= 1  # the listing
        for media_id, count in counts.items():
            cursor.saw_media(media_id, count, posted[media_id])
        order += [m for m in cursor.plan(now) if m not in order]
        for media_id in order[:calls]:
            state = cursor.media[media_id]
            new = (counts[media_id] - state.count) if state.count is not None else counts[media_id]
            cursor.start_read(media_id)
            cursor.read_page(media_id, found=new, newest=at(now) if media_id in busy else posted[media_id],
                             next_after=None)
            assert cursor.finished(media_id, now)
            reads[media_id].append(poll)
        cursor = InstagramCursor.load(cursor.dump(), now, DAY)
    return reads


def test_under_a_steady_limit_no_media_starves_while_busy_ones_take_every_call():
    media_count, polls = 30, 200
    busy = ["m0", "m1", "m2", "m3"]  # more new comments every poll than the budget can read
    reads = simulate(media_count, calls_per_poll=3, polls=polls, busy=busy)
    assert all(reads[m] for m in busy)
    ageing_polls = int(AGEING / timedelta(minutes=5))
    bound = ageing_polls + media_count  # stale after AGEING, then one ageing slot per poll
    for media_id, polls_read in reads.items():
        gaps = [b - a for a, b in zip([-1, *polls_read], [*polls_read, polls])]
        assert max(gaps) <= bound, (media_id, polls_read)


def test_the_budget_shrinks_as_the_usage_header_nears_the_limit():
    assert calls_for_poll(None, None) == DEFAULT_CALLS_PER_POLL
    assert calls_for_poll(20, 10) == 20 and calls_for_poll(20, 50) == 20
    assert calls_for_poll(20, 75) == 10
    assert calls_for_poll(20, 99) == MIN_CALLS and calls_for_poll(20, 100) == MIN_CALLS
    assert calls_for_poll(1, None) == MIN_CALLS
    cursor = fresh()
    cursor.usage = 80.0
    assert InstagramCursor.load(cursor.dump(), NOW, DAY).usage == 80.0


def test_an_unreadable_cursor_entry_is_read_as_new():
    cursor = InstagramCursor.load({"media": {"m1": {"active": "x"}, "m2": {"active": 5, "count": 1}}}, NOW, DAY)
    assert set(cursor.media) == {"m2"} and cursor.media["m2"].count == 1
