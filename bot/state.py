"""The bot's state, in the database every bot process shares (see `retrieval/database.py`).

Answers behind the buttons, feedback, subscriptions and what each briefing last said,
conversation history, rate-limit windows, the audit log, and uploads still being indexed.
Every process reads and writes the same rows, so any process can serve any update, and a
restart (or a kill) loses nothing that was committed.

Calls block (a network round trip on PostgreSQL): handlers make them off the event loop
(`BotContext.db`). A failed write (a full disk, a database that went away) is logged with
what to fix and skipped, so that answering goes on.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import (BigInteger, Boolean, Column, Connection, Float, ForeignKey, Index, Integer, LargeBinary,
                        SmallInteger, String, Table, Text, and_, case, delete, func, select, update)
from sqlalchemy.exc import SQLAlchemyError

from retrieval.database import Database, Schema, error_reason, metadata

log = logging.getLogger(__name__)
audit_log = logging.getLogger("bot.audit")

_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite numbers rows only for INTEGER keys

answers = Table(
    "bot_answers", metadata,
    Column("id", String(64), primary_key=True),  # random, in the buttons' callback data
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger),
    Column("message_id", BigInteger),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("abstained", Boolean, nullable=False),
    Column("citations", Text, nullable=False),  # JSON
    Column("created", Float, nullable=False),
    Index("bot_answers_by_message", "chat_id", "message_id"),
)
feedback_votes = Table(
    "bot_feedback", metadata,
    Column("answer_id", String(64), ForeignKey("bot_answers.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),  # one vote per user per answer
    Column("vote", SmallInteger, nullable=False),
    Column("updated", Float, nullable=False),
)
subscriptions_table = Table(
    "bot_subscriptions", metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("time", String(5), primary_key=True),  # HH:MM in TIMEZONE
    Column("topic", String(200), primary_key=True),
    Column("created_by", BigInteger),
    Column("created", Float, nullable=False),
    Column("last_points", Text, nullable=False),  # JSON: what the last briefing said (🆕 marks the rest)
)
# One row per daily slot of a subscription, claimed before posting: whichever process inserts
# it posts; the others find it there. A claim that was never marked posted (its process died)
# can be taken over once its lease has run out.
briefing_posts = Table(
    "bot_briefing_posts", metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("time", String(5), primary_key=True),
    Column("topic", String(200), primary_key=True),
    Column("slot", String(10), primary_key=True),  # the local date, YYYY-MM-DD
    Column("claimed_by", String(80), nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("posted_at", Float),
)
history_table = Table(
    "bot_history", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=False),
    Column("question", Text, nullable=False),
    Column("created", Float, nullable=False),
    Index("bot_history_by_user", "chat_id", "user_id", "id"),
)
# Questions per user and minute: a sliding window estimated from this minute's and the last
# minute's counts, each updated in one atomic statement, so that processes never race.
rate_windows = Table(
    "bot_rate_windows", metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("window", BigInteger, primary_key=True),  # minutes since the epoch
    Column("count", Integer, nullable=False),
)
audit_table = Table(
    "bot_audit", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("ts", String(32), nullable=False),
    Column("user_id", BigInteger),
    Column("username", String(64)),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("result", Text, nullable=False),
)
# Uploads being indexed: the file is kept here until it is in the index, and the process doing
# it renews its claim every few seconds; if it dies, another process (or it, restarted) picks
# the upload up and finishes it, editing the admin's status message.
uploads_table = Table(
    "bot_uploads", metadata,
    Column("id", String(64), primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("user_id", BigInteger),
    Column("username", String(64)),
    Column("status_message_id", BigInteger, nullable=False),
    Column("filename", String(255), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("claimed_by", String(80), nullable=False),
    Column("claimed_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False),  # processes that have started on it
    Column("created", Float, nullable=False),
)

BOT_SCHEMA = Schema("bot", 1, [answers, feedback_votes, subscriptions_table, briefing_posts, history_table,
                               rate_windows, audit_table, uploads_table])


def new_id() -> str:
    """An id that cannot be guessed (128 bits), short enough for Telegram's 64-byte callback data."""
    return secrets.token_urlsafe(16)


@dataclass
class Subscription:
    chat_id: int
    time: str  # HH:MM in the configured time zone
    topic: str
    created_by: int | None = None
    last_points: tuple[str, ...] = ()
    created: float = 0.0


@dataclass
class Upload:
    id: str
    chat_id: int
    user_id: int | None
    username: str | None
    status_message_id: int
    filename: str
    data: bytes
    attempts: int = 1


class BotState:
    def __init__(self, database: Database, legacy_dir: Path | None = None) -> None:
        self.database = database
        self.persistent = database.persistent
        # Who holds a briefing slot or an upload: this process, unique even across restarts.
        self.owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        database.migrate(BOT_SCHEMA)
        if legacy_dir is not None:
            self._import_legacy(legacy_dir)

    def close(self) -> None:
        """The database belongs to the core's services, which outlive this object."""

    def _write(self, what: str, statement_fn, default=None):
        """Run a write; on failure log what to fix and return `default`, so serving goes on."""
        try:
            with self.database.write() as conn:
                return statement_fn(conn)
        except SQLAlchemyError as e:
            hint = ("free disk space under DATA_DIR or fix its permissions" if self.database.dialect == "sqlite"
                    else f"check the database at {self.database.where}")
            log.error("could not save %s (%s): %s", what, error_reason(e), hint)
            return default

    # -- answers and feedback --------------------------------------------------------------
    def record_answer(self, chat_id: int, user_id: int | None, question: str, answer: str,
                      abstained: bool, citations: list[dict]) -> str:
        """The new answer's id (for its buttons); if it could not be saved, they say it is gone."""
        answer_id = new_id()
        self._write("an answer", lambda conn: conn.execute(answers.insert().values(
            id=answer_id, chat_id=chat_id, user_id=user_id, question=question, answer=answer,
            abstained=bool(abstained), citations=json.dumps(citations, ensure_ascii=False), created=time.time())))
        return answer_id

    def attach_message(self, answer_id: str, chat_id: int, message_id: int) -> None:
        self._write("an answer's message", lambda conn: conn.execute(
            update(answers).where(answers.c.id == answer_id, answers.c.chat_id == chat_id)
            .values(message_id=message_id)))

    def answer(self, answer_id: str, chat_id: int) -> dict | None:
        """An answer shown in `chat_id`; a button pressed anywhere else finds nothing."""
        with self.database.read() as conn:
            row = conn.execute(select(answers).where(answers.c.id == answer_id, answers.c.chat_id == chat_id)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        data["citations"] = json.loads(data["citations"])
        return data

    def question_for_message(self, chat_id: int, message_id: int) -> str | None:
        with self.database.read() as conn:
            return conn.scalar(select(answers.c.question)
                               .where(answers.c.chat_id == chat_id, answers.c.message_id == message_id).limit(1))

    def vote(self, answer_id: str, user_id: int, vote: int) -> None:
        """One vote per user and answer (a unique key); pressing again changes it."""
        def upsert(conn: Connection):
            insert = self.database.insert(feedback_votes).values(
                answer_id=answer_id, user_id=user_id, vote=vote, updated=time.time())
            conn.execute(insert.on_conflict_do_update(
                index_elements=["answer_id", "user_id"],
                set_={"vote": insert.excluded.vote, "updated": insert.excluded.updated}))
        self._write("a vote", upsert)

    def feedback(self) -> list[dict]:
        with self.database.read() as conn:
            rows = conn.execute(
                select(answers.c.id, answers.c.question, answers.c.answer, answers.c.citations, feedback_votes.c.vote)
                .join(feedback_votes, feedback_votes.c.answer_id == answers.c.id)
                .order_by(feedback_votes.c.updated)).all()
        return [{"answer_id": i, "question": q, "answer": a, "citations": json.loads(c), "vote": v}
                for i, q, a, c, v in rows]

    def stats(self) -> dict[str, float]:
        with self.database.read() as conn:
            answered, abstained = conn.execute(select(
                func.count(), func.coalesce(func.sum(case((answers.c.abstained, 1), else_=0)), 0))).one()
            up, down = conn.execute(select(
                func.coalesce(func.sum(case((feedback_votes.c.vote > 0, 1), else_=0)), 0),
                func.coalesce(func.sum(case((feedback_votes.c.vote < 0, 1), else_=0)), 0))).one()
        return {
            "questions": int(answered),
            "abstained": int(abstained),
            "abstention_rate": (abstained / answered) if answered else 0.0,
            "up": int(up),
            "down": int(down),
        }

    # -- conversation history and rate limits ----------------------------------------------
    def history(self, chat_id: int, user_id: int, turns: int) -> list[str]:
        """This user's last `turns` questions in this chat, oldest first."""
        if turns <= 0:
            return []
        try:
            with self.database.read() as conn:
                rows = conn.execute(select(history_table.c.question)
                                    .where(history_table.c.chat_id == chat_id, history_table.c.user_id == user_id)
                                    .order_by(history_table.c.id.desc()).limit(turns)).scalars().all()
        except SQLAlchemyError as e:  # the question is still answered, as if it were the first
            log.error("could not read the conversation (%s)", error_reason(e))
            return []
        return list(reversed(rows))

    def remember_question(self, chat_id: int, user_id: int, question: str, turns: int) -> None:
        if turns <= 0:
            return

        def add(conn: Connection) -> None:
            conn.execute(history_table.insert().values(chat_id=chat_id, user_id=user_id, question=question,
                                                       created=time.time()))
            mine = and_(history_table.c.chat_id == chat_id, history_table.c.user_id == user_id)
            keep = select(history_table.c.id).where(mine).order_by(history_table.c.id.desc()).limit(turns)
            conn.execute(delete(history_table).where(mine, history_table.c.id.not_in(keep.scalar_subquery())))
        self._write("the conversation", add)

    def forget_history(self, chat_id: int, user_id: int) -> None:
        self._write("the conversation", lambda conn: conn.execute(delete(history_table).where(
            history_table.c.chat_id == chat_id, history_table.c.user_id == user_id)))

    def allow_question(self, user_id: int, per_minute: int, now: float | None = None) -> bool:
        """True if this user may ask now; counted across every process. If the count cannot be
        kept (the database is unavailable), questions are allowed rather than refused."""
        now = time.time() if now is None else now
        window = int(now // 60)

        def count(conn: Connection) -> bool:
            insert = self.database.insert(rate_windows).values(user_id=user_id, window=window, count=1)
            current = conn.execute(insert.on_conflict_do_update(
                index_elements=["user_id", "window"], set_={"count": rate_windows.c.count + 1},
            ).returning(rate_windows.c.count)).scalar_one()
            mine = rate_windows.c.user_id == user_id
            previous = conn.scalar(select(rate_windows.c.count).where(mine, rate_windows.c.window == window - 1)) or 0
            # Sliding window: the part of last minute's questions that still falls within 60 s.
            if previous * (1 - (now % 60) / 60) + current > per_minute:
                conn.execute(update(rate_windows).where(mine, rate_windows.c.window == window)
                             .values(count=rate_windows.c.count - 1))  # a refused question does not count
                return False
            conn.execute(delete(rate_windows).where(mine, rate_windows.c.window < window - 1))
            return True
        return self._write("the rate limit", count, default=True)

    # -- subscriptions -------------------------------------------------------------------
    def subscriptions(self, chat_id: int | None = None) -> list[Subscription]:
        query = select(subscriptions_table).order_by(subscriptions_table.c.time, subscriptions_table.c.chat_id)
        if chat_id is not None:
            query = query.where(subscriptions_table.c.chat_id == chat_id)
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return [Subscription(r.chat_id, r.time, r.topic, r.created_by, tuple(json.loads(r.last_points)), r.created)
                for r in rows]

    def subscribe(self, sub: Subscription) -> bool:
        """False when it could not be saved (it then lasts only until the next restart, or not at all)."""
        def upsert(conn: Connection) -> bool:
            insert = self.database.insert(subscriptions_table).values(
                chat_id=sub.chat_id, time=sub.time, topic=sub.topic, created_by=sub.created_by,
                created=time.time(), last_points=json.dumps(list(sub.last_points), ensure_ascii=False))
            conn.execute(insert.on_conflict_do_update(
                index_elements=["chat_id", "time", "topic"],
                set_={"created_by": insert.excluded.created_by}))
            return True
        return bool(self._write("a subscription", upsert, default=False)) and self.persistent

    def unsubscribe(self, chat_id: int) -> list[Subscription]:
        gone = self.subscriptions(chat_id)
        self._write("a subscription", lambda conn: conn.execute(
            delete(subscriptions_table).where(subscriptions_table.c.chat_id == chat_id)))
        return gone

    def due_briefings(self, now: datetime, grace: timedelta) -> list[tuple[Subscription, str]]:
        """(subscription, slot) for every daily slot that has come within `grace` and is not
        posted yet. `now` carries the time zone the HH:MM times are meant in. A subscription made
        after its time of day starts the next day (one made during that very minute posts now)."""
        due = []
        for sub in self.subscriptions():
            hours, minutes = (int(x) for x in sub.time.split(":"))
            slot = datetime.combine(now.date(), dtime(hours, minutes), now.tzinfo)
            if slot > now:
                slot = datetime.combine(now.date() - timedelta(days=1), dtime(hours, minutes), now.tzinfo)
            if now - slot <= grace and sub.created < slot.timestamp() + 60:
                due.append((sub, slot.date().isoformat()))
        if not due:
            return []
        with self.database.read() as conn:
            posted = {tuple(row) for row in conn.execute(
                select(briefing_posts.c.chat_id, briefing_posts.c.time, briefing_posts.c.topic, briefing_posts.c.slot)
                .where(briefing_posts.c.slot.in_({slot for _, slot in due}), briefing_posts.c.posted_at.is_not(None)))}
        return [(sub, slot) for sub, slot in due if (sub.chat_id, sub.time, sub.topic, slot) not in posted]

    def claim_briefing(self, sub: Subscription, slot: str, lease: float) -> bool:
        """True for exactly one caller per slot, whichever process it runs in (or for a later
        one, if the first claimed it `lease` seconds ago and never posted)."""
        key = {"chat_id": sub.chat_id, "time": sub.time, "topic": sub.topic, "slot": slot}

        def claim(conn: Connection) -> bool:
            now = time.time()
            inserted = conn.execute(self.database.insert(briefing_posts)
                                    .values(**key, claimed_by=self.owner, claimed_at=now)
                                    .on_conflict_do_nothing(index_elements=list(key))
                                    .returning(briefing_posts.c.slot)).first()
            if inserted is not None:  # (rowcount is not reliable for ON CONFLICT on every driver)
                return True
            return conn.execute(update(briefing_posts).where(
                *(briefing_posts.c[k] == v for k, v in key.items()), briefing_posts.c.posted_at.is_(None),
                briefing_posts.c.claimed_at < now - lease).values(claimed_by=self.owner, claimed_at=now)).rowcount == 1
        return bool(self._write("a briefing claim", claim, default=False))

    def briefing_done(self, sub: Subscription, slot: str, points: list[str] | None) -> None:
        """The slot is done (posted, or nothing to say); `points` are what the chat now has seen."""
        def done(conn: Connection) -> None:
            this = (briefing_posts.c.chat_id == sub.chat_id, briefing_posts.c.time == sub.time,
                    briefing_posts.c.topic == sub.topic)
            conn.execute(update(briefing_posts).where(*this, briefing_posts.c.slot == slot).values(posted_at=time.time()))
            # A week of slots is plenty to tell what was posted; older rows would only pile up.
            week_ago = (datetime.fromisoformat(slot) - timedelta(days=7)).date().isoformat()
            conn.execute(delete(briefing_posts).where(*this, briefing_posts.c.slot < week_ago))
            if points:
                conn.execute(update(subscriptions_table).where(
                    subscriptions_table.c.chat_id == sub.chat_id, subscriptions_table.c.time == sub.time,
                    subscriptions_table.c.topic == sub.topic,
                ).values(last_points=json.dumps(points, ensure_ascii=False)))
        self._write("a posted briefing", done)

    # -- uploads being indexed -----------------------------------------------------------
    def begin_upload(self, chat_id: int, user_id: int | None, username: str | None, status_message_id: int,
                     filename: str, data: bytes) -> str | None:
        """Keep an upload until it is indexed; None if it could not be kept (it is indexed anyway)."""
        upload_id = new_id()
        saved = self._write("an upload", lambda conn: conn.execute(uploads_table.insert().values(
            id=upload_id, chat_id=chat_id, user_id=user_id, username=username, status_message_id=status_message_id,
            filename=filename[:255], data=data, claimed_by=self.owner, claimed_at=time.time(), attempts=1,
            created=time.time())))
        return upload_id if saved is not None else None

    def renew_upload(self, upload_id: str) -> None:
        self._write("an upload's claim", lambda conn: conn.execute(update(uploads_table).where(
            uploads_table.c.id == upload_id, uploads_table.c.claimed_by == self.owner).values(claimed_at=time.time())))

    def finish_upload(self, upload_id: str) -> None:
        self._write("an upload", lambda conn: conn.execute(delete(uploads_table).where(uploads_table.c.id == upload_id)))

    def claim_abandoned_uploads(self, lease: float) -> list[Upload]:
        """Uploads whose process stopped renewing its claim `lease` seconds ago, now claimed by this one."""
        with self.database.read() as conn:
            stale = conn.execute(select(uploads_table.c.id, uploads_table.c.claimed_at)
                                 .where(uploads_table.c.claimed_at < time.time() - lease)).all()
        claimed = []
        for upload_id, claimed_at in stale:
            def take(conn: Connection, upload_id=upload_id, claimed_at=claimed_at) -> Upload | None:
                taken = conn.execute(update(uploads_table).where(
                    uploads_table.c.id == upload_id, uploads_table.c.claimed_at == claimed_at,
                ).values(claimed_by=self.owner, claimed_at=time.time(), attempts=uploads_table.c.attempts + 1)).rowcount
                if not taken:
                    return None  # another process was faster
                row = conn.execute(select(uploads_table).where(uploads_table.c.id == upload_id)).one()
                return Upload(row.id, row.chat_id, row.user_id, row.username, row.status_message_id,
                              row.filename, bytes(row.data), row.attempts)
            upload = self._write("an upload's claim", take)
            if upload is not None:
                claimed.append(upload)
        return claimed

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
        audit_log.info("%s", json.dumps(entry, ensure_ascii=False))  # the record goes to the log as well
        self._write("the audit log", lambda conn: conn.execute(audit_table.insert().values(**entry)))

    def audit_entries(self, limit: int = 100) -> list[dict]:
        """The latest entries, oldest first."""
        with self.database.read() as conn:
            rows = conn.execute(select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)).all()
        return [{k: v for k, v in row._mapping.items() if k != "id"} for row in reversed(rows)]

    # -- earlier versions ------------------------------------------------------------------
    def _import_legacy(self, data_dir: Path) -> None:
        """Earlier versions kept this state in DATA_DIR/bot.sqlite3 and DATA_DIR/audit.log, one
        per process: carried into the database once, whichever process gets there first."""
        for path, load in ((data_dir / "bot.sqlite3", self._load_legacy_db),
                           (data_dir / "audit.log", self._load_legacy_audit)):
            if not path.is_file():
                continue
            try:
                if self.database.import_once(f"bot:{path.resolve()}", lambda conn, path=path, load=load: load(conn, path)):
                    log.warning("%s has been imported into the database and is no longer used; keep it as a "
                                "backup or delete it", path)
            except (OSError, sqlite3.Error, SQLAlchemyError, ValueError) as e:
                log.error("could not import %s into the database (%s); the next start tries again", path, e)

    def _load_legacy_db(self, conn: Connection, path: Path) -> str:
        legacy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {name for (name,) in legacy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            counts = {}
            if "answers" in tables:
                rows = legacy.execute("SELECT id, chat_id, user_id, message_id, question, answer, abstained, citations, "
                                      "created FROM answers").fetchall()
                # Old buttons carry the old numeric id: kept, so they still work in their own chat.
                self._insert_ignoring(conn, answers, ["id"], [
                    {"id": str(i), "chat_id": c, "user_id": u, "message_id": m, "question": q, "answer": a,
                     "abstained": bool(ab), "citations": ci, "created": cr}
                    for i, c, u, m, q, a, ab, ci, cr in rows])
                counts["answers"] = len(rows)
            if "feedback" in tables and "answers" in tables:
                rows = legacy.execute("SELECT answer_id, user_id, vote, updated FROM feedback "
                                      "WHERE answer_id IN (SELECT id FROM answers)").fetchall()
                self._insert_ignoring(conn, feedback_votes, ["answer_id", "user_id"], [
                    {"answer_id": str(a), "user_id": u, "vote": v, "updated": t} for a, u, v, t in rows])
                counts["votes"] = len(rows)
            if "subscriptions" in tables:
                rows = legacy.execute("SELECT chat_id, time, topic, created_by, last_points FROM subscriptions").fetchall()
                self._insert_ignoring(conn, subscriptions_table, ["chat_id", "time", "topic"], [
                    {"chat_id": c, "time": t, "topic": topic, "created_by": by, "created": time.time(),
                     "last_points": lp} for c, t, topic, by, lp in rows])
                counts["subscriptions"] = len(rows)
        finally:
            legacy.close()
        return ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing"

    def _load_legacy_audit(self, conn: Connection, path: Path) -> str:
        entries = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            entries.append({k: entry.get(k) for k in ("ts", "user_id", "username", "action", "target", "result")})
        if entries:
            conn.execute(audit_table.insert(), [{**e, "ts": e["ts"] or "", "action": e["action"] or "",
                                                 "target": str(e["target"] or ""), "result": str(e["result"] or "")}
                                                for e in entries])
        return f"{len(entries)} audit entries"

    def _insert_ignoring(self, conn: Connection, table: Table, keys: list[str], rows: list[dict]) -> None:
        for start in range(0, len(rows), 500):
            part = rows[start:start + 500]
            if part:
                conn.execute(self.database.insert(table).on_conflict_do_nothing(index_elements=keys), part)
