"""The database every process of one deployment shares: one engine, versioned tables, named locks.

`DATABASE_URL` empty means a SQLite file, `DATA_DIR/state.sqlite3`: one machine, nothing to
install. `postgresql://user:password@host/name` (driven by psycopg 3) shares it between
processes and machines. The core keeps the uploaded originals and its catalog lock here; the
Telegram layer adds its own tables (`bot/state.py`) through the same `migrate`.

Tables are grouped by component ("core", "bot"), each with a version in `schema_versions`.
A fresh database gets the current tables; an older one gets the upgrade steps it misses, at
start-up, one process at a time. Tables are never edited by hand.

Named locks serialise work across processes: `pg_advisory_lock` on PostgreSQL (released by
the server if the process dies); on SQLite, whose processes all share one machine, an
exclusive `flock` on a file beside the database (released by the kernel if the process dies).
A SQLite write transaction would also exclude other processes, but it would stop every other
write to the database (answers, votes) for as long as it is held, and the start-up sync holds
its lock for minutes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, Float, Integer, MetaData, String, Table, Text, create_engine, event, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from .errors import ConfigurationError, StoreError
from .settings import Settings

log = logging.getLogger(__name__)

metadata = MetaData()

schema_versions = Table(
    "schema_versions", metadata,
    Column("component", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated", Float, nullable=False),
)

# One-time imports of data kept by earlier versions in files (bot.sqlite3, audit.log, files/):
# recorded here so that they happen once per database, whichever process gets there first.
data_imports = Table(
    "data_imports", metadata,
    Column("source", String(1024), primary_key=True),
    Column("imported", Float, nullable=False),
    Column("summary", Text, nullable=False),
)


@dataclass
class Schema:
    """A component's tables at `version`; `upgrades[v]` brings a database from v-1 to v."""

    component: str
    version: int
    tables: list[Table]
    upgrades: dict[int, Callable[[Connection], None]] = field(default_factory=dict)


class Database:
    def __init__(self, engine: Engine, *, lock_dir: Path | None, persistent: bool = True, problem: str = "") -> None:
        self.engine = engine
        self.dialect = engine.dialect.name  # "sqlite" or "postgresql"
        self.where = engine.url.render_as_string(hide_password=True)
        self.persistent = persistent  # False: a temporary stand-in, lost on restart (`problem` says why)
        self.problem = problem
        self._writer = engine.execution_options(writing=True)
        self._lock_dir = lock_dir
        self._held = threading.local()
        self._local_locks: dict[str, threading.Lock] = {}
        self._local_locks_guard = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> Database:
        raw = settings.database_url.get_secret_value().strip()
        if not raw:
            return _open_sqlite_file(settings.default_database_path)
        try:
            url = make_url(raw)
        except ArgumentError as e:
            raise ConfigurationError(
                "DATABASE_URL is not a database URL: use postgresql://user:password@host:5432/name, "
                "or leave it empty for a SQLite file under DATA_DIR."
            ) from e
        backend = url.get_backend_name()
        if backend == "sqlite":
            if not url.database or url.database == ":memory:":
                return cls(_sqlite_engine("sqlite://", memory=True), lock_dir=None)
            return _open_sqlite_file(Path(url.database).expanduser())
        if backend != "postgresql":
            raise ConfigurationError(f"DATABASE_URL: {backend} is not supported; use postgresql://… or sqlite:///path.")
        url = url.set(drivername="postgresql+psycopg")
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_recycle=1800)
        database = cls(engine, lock_dir=None)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as e:
            raise ConfigurationError(
                f"Could not connect to the database at {database.where}: {error_reason(e)}. "
                "Check DATABASE_URL and that PostgreSQL is running and reachable."
            ) from e
        return database

    def close(self) -> None:
        self.engine.dispose()

    # -- transactions --------------------------------------------------------------------
    def read(self) -> contextlib.AbstractContextManager[Connection]:
        """A connection for reading (its transaction is rolled back at the end)."""
        return self.engine.connect()

    def write(self) -> contextlib.AbstractContextManager[Connection]:
        """A transaction that commits at the end. On SQLite it takes the write lock at once
        (BEGIN IMMEDIATE), so that a read followed by a write can never fail half-way."""
        return self._writer.begin()

    def insert(self, table: Table):
        """INSERT with this dialect's ON CONFLICT clauses (`on_conflict_do_nothing/update`)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def unavailable(self, e: SQLAlchemyError) -> StoreError:
        """The error to raise when the database fails: what happened, and where to look."""
        if self.dialect == "sqlite":
            return StoreError(f"The database under DATA_DIR could not be used ({error_reason(e)}). Check that "
                              "its disk is not full and that DATA_DIR can be written.")
        return StoreError(f"The database at {self.where} is unavailable ({error_reason(e)}). Check that "
                          "PostgreSQL is running and reachable, then try again.")

    # -- schema ----------------------------------------------------------------------------
    def migrate(self, schema: Schema) -> None:
        """Create or upgrade a component's tables; one process at a time does it."""
        with self.lock("schema", timeout=120), self.write() as conn:
            metadata.create_all(conn, tables=[schema_versions, data_imports], checkfirst=True)
            current = conn.scalar(select(schema_versions.c.version).where(schema_versions.c.component == schema.component))
            if current == schema.version:
                return
            if current is None:
                metadata.create_all(conn, tables=schema.tables, checkfirst=True)
                conn.execute(schema_versions.insert().values(component=schema.component, version=schema.version,
                                                             updated=time.time()))
                return
            if current > schema.version:
                raise ConfigurationError(
                    f"The database at {self.where} holds {schema.component} tables of version {current}, newer than "
                    f"this program's {schema.version}: run the newer program, or point DATABASE_URL elsewhere."
                )
            for version in range(current + 1, schema.version + 1):
                schema.upgrades[version](conn)
                log.info("database: %s tables upgraded to version %d", schema.component, version)
            conn.execute(schema_versions.update().where(schema_versions.c.component == schema.component)
                         .values(version=schema.version, updated=time.time()))

    def import_once(self, source: str, load: Callable[[Connection], str]) -> bool:
        """Run `load` (which returns a summary) once per database for `source`; True if it ran now."""
        with self.lock("schema", timeout=120), self.write() as conn:
            if conn.scalar(select(data_imports.c.source).where(data_imports.c.source == source)) is not None:
                return False
            summary = load(conn)
            conn.execute(data_imports.insert().values(source=source, imported=time.time(), summary=summary))
        log.info("imported %s into the database: %s", source, summary)
        return True

    # -- locks -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, name: str, *, timeout: float | None = None, what: str = "") -> Iterator[None]:
        """Hold the cross-process lock `name` (re-entrant within a thread).

        Waits while another process or thread holds it: at most `timeout` seconds (then
        StoreError), logging every half minute so a long wait is never silent."""
        held: dict[str, int] = self._held.__dict__.setdefault("counts", {})
        if held.get(name):
            held[name] += 1
            try:
                yield
            finally:
                held[name] -= 1
            return
        acquire, release = self._lock_functions(name)
        started = time.monotonic()
        delay, next_log = 0.01, started + 30
        while not acquire():
            now = time.monotonic()
            if timeout is not None and now - started > timeout:
                release(False)
                raise StoreError(f"{what or name.capitalize()} is busy in another process (waited {timeout:.0f} s); "
                                 "try again in a moment.")
            if now > next_log:
                log.info("waiting for another process to finish %s (%.0f s so far)", what or name, now - started)
                next_log = now + 30
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        held[name] = 1
        try:
            yield
        finally:
            held[name] = 0
            release(True)

    def _lock_functions(self, name: str) -> tuple[Callable[[], bool], Callable[[bool], None]]:
        """(try to acquire, release) for one attempt at holding `name`."""
        if self.dialect == "postgresql":
            key = int.from_bytes(hashlib.sha256(f"policy-bot:{name}".encode()).digest()[:8], "big", signed=True)
            try:
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except SQLAlchemyError as e:
                raise self.unavailable(e) from e

            def acquire() -> bool:
                try:
                    return bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
                except SQLAlchemyError as e:
                    release(False)
                    raise self.unavailable(e) from e

            def release(acquired: bool) -> None:
                try:
                    if acquired:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.close()
                except SQLAlchemyError:
                    conn.invalidate()  # closing the session releases its locks on the server
                    conn.close()

            return acquire, release
        if self._lock_dir is None:  # an in-memory database lives in this process only
            with self._local_locks_guard:
                local = self._local_locks.setdefault(name, threading.Lock())
            return (lambda: local.acquire(blocking=False)), (lambda acquired: local.release() if acquired else None)
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_dir / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)

        def try_flock() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        def unlock(acquired: bool) -> None:
            if acquired:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

        return try_flock, unlock


def error_reason(e: SQLAlchemyError) -> str:
    """The driver's own message, on one line, without SQLAlchemy's boilerplate."""
    original = getattr(e, "orig", None) or e
    return " ".join(str(original).split())[:300]


def _sqlite_engine(url: str | URL, *, memory: bool = False) -> Engine:
    if memory:
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=10, max_overflow=20)

    # pysqlite begins transactions late and commits on DDL by itself; the documented SQLAlchemy
    # recipe hands that back: no implicit transactions, and our own BEGIN on every begin().
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writing") else "BEGIN")

    return engine


def _open_sqlite_file(path: Path) -> Database:
    """The SQLite file, or, when its folder cannot be written (a read-only volume, no space for
    a new file), a temporary copy of it, so that the bot still starts and answers."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
        database = Database(_sqlite_engine(f"sqlite:///{path}"), lock_dir=path.parent / f"{path.name}-locks")
    except OSError as e:
        reason = e.strerror or str(e)
    else:
        try:
            with database.write() as conn:  # opens (or creates) the file and sets WAL mode
                conn.execute(text("SELECT 1"))
            return database
        except SQLAlchemyError as e:
            database.close()
            reason = error_reason(e)
    copy_dir = Path(tempfile.mkdtemp(prefix="state-read-only-"))
    for suffix in ("", "-wal"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            shutil.copy2(source, copy_dir / source.name)
    problem = (f"{path.parent} cannot be written ({reason}): the database is a temporary copy at {copy_dir}, "
               "and what is saved in it is lost on restart; free disk space or fix permissions, then restart")
    log.error("%s", problem)
    return Database(_sqlite_engine(f"sqlite:///{copy_dir / path.name}"), lock_dir=copy_dir / f"{path.name}-locks",
                    persistent=False, problem=problem)


def url_password(database_url) -> str:
    """The password in DATABASE_URL (a SecretStr or a string), to keep it out of the logs."""
    raw = database_url.get_secret_value() if hasattr(database_url, "get_secret_value") else str(database_url)
    try:
        return make_url(raw).password or "" if raw.strip() else ""
    except ArgumentError:
        return ""
