"""Uploaded originals, kept in the database so that `/reindex` works from any process.

Each indexed version names its original (`DocumentRecord.stored_file`, e.g. `3f2a….pdf`);
the bytes live in the `originals` table, beside the rest of the shared state, rather than
in a folder every process would have to mount. Uploads are at most 20 MB (Telegram's limit
for bots), which PostgreSQL's bytea and SQLite's blobs hold comfortably, and a single
database backup then holds every original. Earlier versions kept them in `DATA_DIR/files`;
those are imported once, at start-up.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import Column, Connection, Float, Integer, LargeBinary, String, Table, delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from .database import Database, Schema, error_reason, metadata
from .errors import StoreError

log = logging.getLogger(__name__)

originals = Table(
    "originals", metadata,
    Column("name", String(200), primary_key=True),  # "<doc_id><suffix>", as DocumentRecord.stored_file
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    Column("created", Float, nullable=False),
)

CORE_SCHEMA = Schema("core", 1, [originals])


class Originals:
    def __init__(self, database: Database) -> None:
        self.database = database

    def put(self, name: str, data: bytes) -> None:
        """Keep `data` under `name` unless it is there already (names come from the content hash)."""
        try:
            with self.database.write() as conn:
                conn.execute(self.database.insert(originals)
                             .values(name=name, data=data, size=len(data), created=time.time())
                             .on_conflict_do_nothing(index_elements=["name"]))
        except SQLAlchemyError as e:
            where = "DATA_DIR" if self.database.dialect == "sqlite" else self.database.where
            raise StoreError(
                f"Could not save {name} in the database ({error_reason(e)}). Check that the disk holding it "
                f"({where}) is not full and can be written."
            ) from e

    def get(self, name: str) -> bytes | None:
        try:
            with self.database.read() as conn:
                data = conn.scalar(select(originals.c.data).where(originals.c.name == name))
        except SQLAlchemyError as e:
            raise self.database.unavailable(e) from e
        return bytes(data) if data is not None else None

    def exists(self, name: str) -> bool:
        try:
            with self.database.read() as conn:
                return conn.scalar(select(originals.c.name).where(originals.c.name == name)) is not None
        except SQLAlchemyError as e:
            raise self.database.unavailable(e) from e

    def delete(self, names: list[str]) -> None:
        if not names:
            return
        try:
            with self.database.write() as conn:
                conn.execute(delete(originals).where(originals.c.name.in_(names)))
        except SQLAlchemyError as e:
            raise self.database.unavailable(e) from e

    def count(self) -> int:
        with self.database.read() as conn:
            return int(conn.scalar(select(func.count()).select_from(originals)))

    def import_folder(self, folder: Path) -> None:
        """Bring in the originals an earlier version kept as files (once per folder and database)."""
        if not folder.is_dir():
            return

        def load(conn: Connection) -> str:
            count = 0
            for path in sorted(folder.iterdir()):
                if not path.is_file() or path.name.endswith(".tmp"):
                    continue
                data = path.read_bytes()
                conn.execute(self.database.insert(originals)
                             .values(name=path.name, data=data, size=len(data), created=path.stat().st_mtime)
                             .on_conflict_do_nothing(index_elements=["name"]))
                count += 1
            return f"{count} original files"

        try:
            self.database.import_once(f"files:{folder.resolve()}", load)
        except (OSError, SQLAlchemyError) as e:  # they stay where they are; the next start tries again
            log.error("could not import the original files in %s into the database: %s", folder, e)

