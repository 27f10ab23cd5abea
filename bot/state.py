"""The bot's own durable state under DATA_DIR: answers sent, feedback, subscriptions, stats.

SQLite in WAL mode: every write is committed at once, so a restart (or a kill) loses
nothing, and each call takes well under a millisecond, so it can run on the event loop.
The audit log is a separate append-only JSON-lines file that an operator can read directly.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    message_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    citations TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_message ON answers(chat_id, message_id);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id INTEGER NOT NULL REFERENCES answers(id),
    user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    chat_id INTEGER NOT NULL,
    time TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    created_by INTEGER,
    last_points TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (chat_id, time, topic)
);
"""


@dataclass
class Subscription:
    chat_id: int
    time: str  # HH:MM in the configured time zone
    topic: str
    created_by: int | None = None
    last_points: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"briefing:{self.chat_id}:{self.time}:{self.topic}"


class BotState:
    """Answers, feedback, subscriptions (SQLite) and the audit log, under DATA_DIR.

    A full disk or a read-only DATA_DIR must not stop the bot answering: state then lives in
    memory (start-up) or the failed write is logged and skipped (later), with an error that
    says what to fix.
    """

    def __init__(self, data_dir: Path) -> None:
        self._lock = threading.Lock()
        self.audit_path = data_dir / "audit.log"
        self.persistent = True
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(data_dir / "bot.sqlite3", check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as e:
            log.error("%s is not writable (%s): feedback, subscriptions and statistics are kept in memory "
                      "and lost on restart; free disk space or fix permissions, then restart", data_dir, e)
            self.persistent = False
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def _write(self, sql: str, args: tuple = ()) -> sqlite3.Cursor | None:
        try:
            return self._run(sql, args)
        except sqlite3.OperationalError as e:  # disk full, read-only: skip this write, keep serving
            log.error("could not save to %s (%s): free disk space or fix permissions", self.audit_path.parent, e)
            return None

    # -- answers and feedback --------------------------------------------------------------
    def record_answer(self, chat_id: int, user_id: int | None, question: str, answer: str,
                      abstained: bool, citations: list[dict]) -> int:
        cur = self._write(
            "INSERT INTO answers (chat_id, user_id, question, answer, abstained, citations, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (chat_id, user_id, question, answer, int(abstained), json.dumps(citations, ensure_ascii=False), time.time()),
        )
        return int(cur.lastrowid) if cur is not None else 0  # 0: buttons say "no longer available"

    def attach_message(self, answer_id: int, message_id: int) -> None:
        self._write("UPDATE answers SET message_id = ? WHERE id = ?", (message_id, answer_id))

    def answer(self, answer_id: int) -> dict | None:
        row = self._run(
            "SELECT id, chat_id, user_id, question, answer, abstained, citations FROM answers WHERE id = ?",
            (answer_id,),
        ).fetchone()
        if row is None:
            return None
        keys = ("id", "chat_id", "user_id", "question", "answer", "abstained", "citations")
        data = dict(zip(keys, row))
        data["citations"] = json.loads(data["citations"])
        return data

    def question_for_message(self, chat_id: int, message_id: int) -> str | None:
        row = self._run(
            "SELECT question FROM answers WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
        ).fetchone()
        return row[0] if row else None

    def vote(self, answer_id: int, user_id: int, vote: int) -> None:
        """One vote per user and answer; pressing again changes it."""
        self._write(
            "INSERT INTO feedback (answer_id, user_id, vote, updated) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(answer_id, user_id) DO UPDATE SET vote = excluded.vote, updated = excluded.updated",
            (answer_id, user_id, vote, time.time()),
        )

    def feedback(self) -> list[dict]:
        rows = self._run(
            "SELECT a.question, a.answer, a.citations, f.vote FROM feedback f JOIN answers a ON a.id = f.answer_id"
        ).fetchall()
        return [{"question": q, "answer": a, "citations": json.loads(c), "vote": v} for q, a, c, v in rows]

    def stats(self) -> dict[str, float]:
        answered, abstained = self._run("SELECT COUNT(*), COALESCE(SUM(abstained), 0) FROM answers").fetchone()
        up, down = self._run(
            "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM feedback"
        ).fetchone()
        return {
            "questions": answered,
            "abstained": abstained,
            "abstention_rate": (abstained / answered) if answered else 0.0,
            "up": up,
            "down": down,
        }

    # -- subscriptions -------------------------------------------------------------------
    def subscriptions(self, chat_id: int | None = None) -> list[Subscription]:
        sql = "SELECT chat_id, time, topic, created_by, last_points FROM subscriptions"
        rows = self._run(sql + " WHERE chat_id = ?", (chat_id,)) if chat_id is not None else self._run(sql)
        return [Subscription(c, t, topic, by, tuple(json.loads(lp))) for c, t, topic, by, lp in rows.fetchall()]

    def subscribe(self, sub: Subscription) -> bool:
        """False when it could not be saved (it then lasts only until the next restart)."""
        cur = self._write(
            "INSERT OR REPLACE INTO subscriptions (chat_id, time, topic, created_by, last_points) VALUES (?, ?, ?, ?, ?)",
            (sub.chat_id, sub.time, sub.topic, sub.created_by, json.dumps(list(sub.last_points))),
        )
        return self.persistent and cur is not None

    def unsubscribe(self, chat_id: int) -> list[Subscription]:
        gone = self.subscriptions(chat_id)
        self._write("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
        return gone

    def remember_briefing(self, sub: Subscription, points: list[str]) -> None:
        self._write(
            "UPDATE subscriptions SET last_points = ? WHERE chat_id = ? AND time = ? AND topic = ?",
            (json.dumps(points, ensure_ascii=False), sub.chat_id, sub.time, sub.topic),
        )

    # -- audit ---------------------------------------------------------------------------
    def audit(self, user_id: int | None, username: str | None, action: str, target: str, result: str) -> None:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user_id": user_id,
            "username": username,
            "action": action,
            "target": target,
            "result": result,
        }
        try:
            with self._lock, open(self.audit_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        except OSError as e:  # the action itself has happened; say loudly that it went unrecorded
            log.error("audit log %s not written (%s): %s", self.audit_path, e.strerror or e, json.dumps(entry))
