"""The bot's shared state, on SQLite and on a real PostgreSQL: several `BotState` objects on one
database stand for several bot processes (each has its own engine and connections).

Every test runs twice (`database_url`): a SQLite file, and a fresh database on the session's
throw-away PostgreSQL server. Races are real threads against the real database."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, String, Table, select, text

from bot.state import BOT_SCHEMA, BotState, Subscription
from retrieval.database import Database, Schema, metadata, schema_versions
from retrieval.errors import ConfigurationError
from retrieval.originals import CORE_SCHEMA
from retrieval.settings import Settings


def open_database(url: str) -> Database:
    return Database.open(Settings(_env_file=None, database_url=url))


@pytest.fixture
def processes(database_url):
    """Three bot processes' views of one database."""
    return [BotState(open_database(database_url)) for _ in range(3)]


def in_threads(count: int, work) -> list:
    """Run work(i) in `count` threads released at the same moment; their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # reported below, with the thread's own traceback
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def test_tables_are_versioned_and_created_once_when_processes_start_together(database_url):
    databases = [open_database(database_url) for _ in range(4)]
    in_threads(4, lambda i: (databases[i].migrate(CORE_SCHEMA), BotState(databases[i])))
    with databases[0].read() as conn:
        versions = dict(conn.execute(select(schema_versions.c.component, schema_versions.c.version)).all())
    assert versions == {"core": CORE_SCHEMA.version, "bot": BOT_SCHEMA.version}

    # A later version of a component upgrades an existing database step by step, once.
    v1 = Table("test_notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(50)))
    databases[0].migrate(Schema("test", 1, [v1]))
    with databases[0].write() as conn:
        conn.execute(v1.insert().values(id=1, text="kept"))
    add_column = lambda conn: conn.execute(text("ALTER TABLE test_notes ADD COLUMN stars INTEGER DEFAULT 0"))
    in_threads(3, lambda i: databases[i].migrate(Schema("test", 2, [v1], {2: add_column})))
    with databases[1].read() as conn:
        assert conn.execute(text("SELECT text, stars FROM test_notes")).all() == [("kept", 0)]
    with pytest.raises(ConfigurationError, match="newer"):
        databases[2].migrate(Schema("test", 1, [v1]))  # an older program refuses a newer database
    metadata.remove(v1)


def test_answers_are_unguessable_and_found_only_in_their_chat(processes):
    first, second, _ = processes
    ids = {first.record_answer(100, 7, f"question {i}", "answer", False, [{"n": 1}]) for i in range(20)}
    assert len(ids) == 20 and all(len(i) >= 20 and len(f"fb:{i}:-1".encode()) <= 64 for i in ids)
    answer_id = next(iter(ids))
    first.attach_message(answer_id, 100, 55)
    found = second.answer(answer_id, 100)  # a button pressed on another process
    assert found["question"].startswith("question") and found["citations"] == [{"n": 1}]
    assert second.question_for_message(100, 55) == found["question"]
    assert second.answer(answer_id, 200) is None  # the same button data pressed in another chat
    second.attach_message(answer_id, 200, 99)  # and it cannot be re-pointed from there either
    assert second.question_for_message(200, 99) is None


def test_one_vote_per_user_and_answer_however_many_processes_take_the_presses(processes):
    answer_id = processes[0].record_answer(100, 7, "q", "a", False, [])
    in_threads(9, lambda i: processes[i % 3].vote(answer_id, 7, 1 if i % 2 else -1))
    assert len(processes[1].feedback()) == 1
    processes[2].vote(answer_id, 7, 1)  # pressing again changes the vote
    processes[0].vote(answer_id, 8, -1)  # another user's vote counts on its own
    stats = processes[1].stats()
    assert (stats["questions"], stats["up"], stats["down"]) == (1, 1, 1)


def _sub(chat_id: int, at: str = "08:30", topic: str = "hydrogen") -> Subscription:
    return Subscription(chat_id, at, topic, created_by=7)


def _tomorrow(at: str, seconds: int = 5) -> datetime:
    hours, minutes = (int(x) for x in at.split(":"))
    return datetime.now(timezone.utc).replace(hour=hours, minute=minutes, second=seconds) + timedelta(days=1)


def test_a_subscription_ended_in_one_process_is_not_posted_by_another(processes):
    first, second, third = processes
    assert first.subscribe(_sub(-1))
    now = _tomorrow("08:30")
    assert [s.chat_id for s, _ in third.due_briefings(now, timedelta(hours=1))] == [-1]
    assert [s.chat_id for s in second.unsubscribe(-1)] == [-1]
    assert first.due_briefings(now, timedelta(hours=1)) == []
    assert third.subscriptions(-1) == []


def test_each_daily_slot_is_claimed_by_exactly_one_process(processes):
    first, second, third = processes
    first.subscribe(_sub(-2))
    now = _tomorrow("08:30")
    [(sub, slot)] = second.due_briefings(now, timedelta(hours=1))
    assert slot == now.date().isoformat()
    claims = in_threads(12, lambda i: processes[i % 3].claim_briefing(sub, slot, lease=600))
    assert claims.count(True) == 1
    assert not first.claim_briefing(sub, slot, lease=600)
    # The claimer died before posting: once its lease is over, another process takes the slot over.
    time.sleep(0.05)
    assert third.claim_briefing(sub, slot, lease=0.01)
    third.briefing_done(sub, slot, ["Point one.", "Point two."])
    assert second.due_briefings(now, timedelta(hours=1)) == []  # posted: due nowhere any more
    assert not first.claim_briefing(sub, slot, lease=0)
    assert first.subscriptions(-2)[0].last_points == ("Point one.", "Point two.")  # what 🆕 compares with
    next_day = now + timedelta(days=1)
    assert [slot for _, slot in first.due_briefings(next_day, timedelta(hours=1))] == [next_day.date().isoformat()]


def test_slots_come_at_their_time_and_a_late_subscription_starts_the_next_day(processes):
    state = processes[0]
    state.subscribe(_sub(-3, "23:50", ""))
    late = datetime.now(timezone.utc) + timedelta(days=1)
    at = lambda h, m, s=0: late.replace(hour=h, minute=m, second=s)
    assert state.due_briefings(at(23, 49, 59), timedelta(hours=1)) == []  # not yet
    assert state.due_briefings(at(23, 50), timedelta(hours=1))  # at its minute
    assert state.due_briefings((at(23, 50) + timedelta(minutes=30)), timedelta(hours=1))  # a missed slot, late
    assert state.due_briefings((at(23, 50) + timedelta(hours=2)), timedelta(hours=1)) == []  # too late: skipped
    # Subscribing at 09:00 for 08:30 does not post at once: the first slot is tomorrow's.
    hours_ago = datetime.now(timezone.utc) - timedelta(hours=2)
    state.subscribe(_sub(-4, hours_ago.strftime("%H:%M"), ""))
    assert all(s.chat_id != -4 for s, _ in state.due_briefings(datetime.now(timezone.utc), timedelta(hours=3)))
    # Subscribing during the very minute named posts now.
    this_minute = datetime.now(timezone.utc)
    state.subscribe(_sub(-5, this_minute.strftime("%H:%M"), ""))
    assert any(s.chat_id == -5 for s, _ in state.due_briefings(this_minute + timedelta(seconds=1), timedelta(hours=1)))


def test_conversation_history_is_shared_and_bounded(processes):
    first, second, third = processes
    for i in range(5):
        processes[i % 3].remember_question(100, 7, f"question {i}", turns=3)
    assert second.history(100, 7, 3) == ["question 2", "question 3", "question 4"]
    assert second.history(100, 8, 3) == [] and second.history(101, 7, 3) == []
    third.forget_history(100, 7)  # /reset reaching another process
    assert first.history(100, 7, 3) == []


def test_the_rate_limit_counts_questions_from_every_process(processes):
    now = (time.time() // 60) * 60 + 1  # early in a minute
    assert in_threads(10, lambda i: processes[i % 3].allow_question(7, 5, now=now)).count(True) == 5
    assert not processes[1].allow_question(7, 5, now=now + 30)
    assert processes[1].allow_question(8, 5, now=now + 30)  # another user is not affected
    assert not processes[2].allow_question(7, 5, now=now + 61)  # 60 s later the window still holds most of them
    assert processes[0].allow_question(7, 5, now=now + 125)


def test_the_audit_log_is_shared(processes):
    processes[0].audit(7, "admin", "remove", "abc", "removed")
    processes[1].audit(8, None, "upload", "x.txt", "refused: not an admin")
    entries = processes[2].audit_entries()
    assert [(e["user_id"], e["action"], e["result"]) for e in entries] == [
        (7, "remove", "removed"), (8, "upload", "refused: not an admin")]


def test_an_upload_whose_process_died_is_taken_over_once(processes):
    first, second, third = processes
    upload_id = first.begin_upload(100, 7, "admin", 12, "note.txt", b"The note.")
    assert second.claim_abandoned_uploads(lease=60) == []  # its process is alive: renewing
    first.renew_upload(upload_id)
    time.sleep(0.3)  # ...and then it stops renewing
    taken = in_threads(6, lambda i: processes[1 + i % 2].claim_abandoned_uploads(lease=0.2))
    [[upload]] = [t for t in taken if t]
    assert (upload.filename, upload.data, upload.status_message_id, upload.user_id) == ("note.txt", b"The note.", 12, 7)
    assert upload.attempts == 2  # counted, so that a file that kills every process is given up on
    assert first.claim_abandoned_uploads(lease=0.2) == []  # freshly claimed by its new owner
    third.finish_upload(upload_id)
    time.sleep(0.3)
    assert first.claim_abandoned_uploads(lease=0) == []


OLD_SCHEMA = """
CREATE TABLE answers (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id INTEGER NOT NULL, user_id INTEGER,
    message_id INTEGER, question TEXT NOT NULL, answer TEXT NOT NULL, abstained INTEGER NOT NULL,
    citations TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE feedback (answer_id INTEGER NOT NULL REFERENCES answers(id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL, updated REAL NOT NULL, PRIMARY KEY (answer_id, user_id));
CREATE TABLE subscriptions (chat_id INTEGER NOT NULL, time TEXT NOT NULL, topic TEXT NOT NULL DEFAULT '',
    created_by INTEGER, last_points TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (chat_id, time, topic));
"""


def test_an_earlier_versions_state_is_carried_forward_once(database_url, tmp_path):
    data_dir = tmp_path / "old-install"
    data_dir.mkdir()
    legacy = sqlite3.connect(data_dir / "bot.sqlite3")
    legacy.executescript(OLD_SCHEMA)
    legacy.execute("PRAGMA journal_mode=WAL")
    legacy.execute("INSERT INTO answers VALUES (1, 100, 7, 55, 'What is age-tech?', 'It is…', 0, '[]', 1.0)")
    legacy.execute("INSERT INTO answers VALUES (2, 200, 8, 56, 'Off topic', 'Not found', 1, '[]', 2.0)")
    legacy.execute("INSERT INTO feedback VALUES (1, 7, 1, 3.0)")
    legacy.execute("INSERT INTO feedback VALUES (2, 8, -1, 4.0)")
    legacy.execute("INSERT INTO subscriptions VALUES (-100, '08:30', 'hydrogen', 9, ?)", (json.dumps(["Old point."]),))
    legacy.commit()
    (data_dir / "audit.log").write_text(
        json.dumps({"ts": "2025-01-01T00:00:00Z", "user_id": 9, "username": "admin", "action": "upload",
                    "target": "a.md", "result": "new 0123456789ab"}) + "\n" + '{"ts": "2025-01-0', encoding="utf-8")

    state = BotState(open_database(database_url), legacy_dir=data_dir)
    [sub] = state.subscriptions()
    assert (sub.chat_id, sub.time, sub.topic, sub.last_points) == (-100, "08:30", "hydrogen", ("Old point.",))
    assert state.answer("1", 100)["question"] == "What is age-tech?"  # old buttons still work in their chat
    assert state.answer("1", 200) is None
    assert sorted(f["vote"] for f in state.feedback()) == [-1, 1]
    assert [e["target"] for e in state.audit_entries()] == ["a.md"]  # the cut-off last line is skipped

    again = BotState(open_database(database_url), legacy_dir=data_dir)  # a restart, or another process
    assert len(again.feedback()) == 2 and len(again.audit_entries()) == 1 and len(again.subscriptions()) == 1


def test_the_audit_log_is_printed_by_python_m_bot_audit(tmp_path, monkeypatch, capsys):
    import logging

    from bot.__main__ import main

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    BotState(open_database(f"sqlite:///{tmp_path / 'state.sqlite3'}")).audit(7, "admin", "remove", "abc", "removed")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        assert main(["audit", "--limit", "5"]) == 0
    finally:
        root.handlers[:], root.level = saved
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line) | {"ts": ""} == {"ts": "", "user_id": 7, "username": "admin", "action": "remove",
                                             "target": "abc", "result": "removed"}
