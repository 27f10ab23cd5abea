"""The one storage interface: a catalog of documents plus chunk and sentence vectors.

Chroma holds everything, so several processes sharing one Chroma server see the same index.
Three collections per embedding model:

- `catalog`: one record per document version, with a `status`. A version becomes visible
  when its record turns `live`; a replacement flips the new version to `live` and the old one
  to `retired` in a single upsert. Readers only ever see chunks of `live` documents, so an
  interrupted ingest or removal can never expose half a document.
- `chunks`: passages with their metadata and a vector (the normalised mean of their
  sentences' vectors).
- `sentences`: every sentence of every chunk with its own vector: answers are composed from
  sentences, and questions often match one sentence better than a whole passage.

With a multilingual model configured, three more hold the cross-lingual side index: the
passages' and sentences' vectors of that model under the same ids, and one `ready` row per
document version whose vectors are complete. They are computed after the commit, in the
background (see `multilingual.py`), and removed with the rest of a version's vectors.

Vectors always come from our own embedder; Chroma's default embedding function (which would
download a model) is never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import StoreError
from .settings import Settings

log = logging.getLogger(__name__)

LIVE, PENDING, RETIRED, REMOVED = "live", "pending", "retired", "removed"


@dataclass
class DocumentRecord:
    key: str  # one indexed version of a document; chunks carry it, queries filter on it
    doc_id: str  # stable, from the content hash: what users see and pass to /remove
    source: str
    title: str
    status: str = PENDING
    publisher: str = ""
    date: str = ""
    source_url: str = ""
    license: str = ""
    sections: list[str] = field(default_factory=list)
    chunks: int = 0
    stored_file: str = ""
    ingested_at: str = ""
    origin: str = ""  # "documents" for the shipped corpus, "upload" for admin uploads, "cli"
    genre: str = ""  # the kind the document gives itself, if any ("commentary", "fact sheet")

    def to_metadata(self) -> dict[str, Any]:
        data = asdict(self)
        data["sections"] = json.dumps(self.sections, ensure_ascii=False)
        return data

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> DocumentRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["sections"] = json.loads(known.get("sections") or "[]")
        return cls(**known)


def chunk_id(key: str, ordinal: int) -> str:
    """The id a version's passage number `ordinal` (and its vectors) is stored under."""
    return f"{key}:{ordinal:04d}"


def sentence_id(chunk_id: str, j: int) -> str:
    """The id a chunk's j-th sentence (and its vectors) is stored under."""
    return f"{chunk_id}/{j:03d}"


@dataclass(frozen=True)
class ChunkRow:
    chunk_id: str
    key: str
    text: str
    metadata: dict[str, Any]
    vector: np.ndarray | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Where each sentence starts and ends in `text`, as cut at ingest."""
        return json.loads(self.metadata.get("sentences", "[]"))

    def sentence_ids(self) -> list[str]:
        return [sentence_id(self.chunk_id, j) for j in range(len(self.spans))]


@dataclass(frozen=True)
class SentenceRow:
    sentence_id: str
    chunk_id: str
    key: str
    text: str
    start: int  # offset of the sentence inside its chunk's text
    end: int


@dataclass(frozen=True)
class Hit:
    id: str
    score: float  # cosine similarity
    chunk_id: str


class Store(ABC):
    """What the indexer and retriever need from a vector database; nothing more."""

    # Set when DATA_DIR could not be written at start-up: the index is served from a copy and
    # the indexer refuses changes, which would otherwise be lost with the copy.
    read_only_reason: str = ""

    @abstractmethod
    def catalog(self, *, doc_id: str | None = None, source: str | None = None) -> list[DocumentRecord]:
        """Every record, or only those of one document id or one source (looked up, not scanned)."""

    @abstractmethod
    def put_records(self, records: Sequence[DocumentRecord]) -> None:
        """Write all records in one operation (this is the commit point of an ingest)."""

    @abstractmethod
    def delete_records(self, keys: Sequence[str]) -> None: ...

    @abstractmethod
    def add_vectors(
        self, chunks: Sequence[ChunkRow], chunk_vectors: np.ndarray,
        sentences: Sequence[SentenceRow], sentence_vectors: np.ndarray,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Write in bounded batches; `progress(rows written, rows)` after each."""

    @abstractmethod
    def delete_vectors(self, keys: Sequence[str]) -> None: ...

    @abstractmethod
    def vector_keys(self) -> set[str]:
        """Every document version that has vectors stored, live or not (for crash recovery)."""

    @abstractmethod
    def chunks(self, keys: Sequence[str]) -> list[ChunkRow]: ...

    @abstractmethod
    def query_chunks(self, vector: np.ndarray, n: int, keys: Sequence[str]) -> list[Hit]: ...

    @abstractmethod
    def query_sentences(self, vector: np.ndarray, n: int, keys: Sequence[str]) -> list[Hit]: ...

    @abstractmethod
    def sentence_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given sentence ids (missing ids are left out)."""

    # -- the multilingual side index: another model's vectors under the same ids -----------
    @abstractmethod
    def add_multilingual(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Passage ("<key>:0003") and sentence ("<key>:0003/001") vectors; rewriting is harmless."""

    @abstractmethod
    def mark_multilingual_ready(self, key: str) -> None:
        """Written last: the version's multilingual vectors are all there."""

    @abstractmethod
    def multilingual_keys(self) -> set[str]:
        """Versions whose multilingual vectors are complete."""

    @abstractmethod
    def multilingual_passages(self, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Passage ids and their multilingual vectors, for these versions."""

    @abstractmethod
    def multilingual_vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors by id (those that exist)."""

    @abstractmethod
    def delete_multilingual(self, keys: Sequence[str]) -> None: ...



def _collection_slug(model_name: str) -> str:
    # One index per embedding model: vectors of different models must never be mixed, and
    # switching models then simply shows an empty (stale) index that start-up rebuilds.
    readable = re.sub(r"[^a-zA-Z0-9]+", "-", model_name.split("/")[-1]).strip("-").lower()[:24]
    digest = hashlib.sha1(model_name.encode()).hexdigest()[:8]
    return f"{readable}-{digest}"


def _key_of(row_id: str) -> str:
    """The version key in a row id: "<key>:0003" or "<key>:0003/001"."""
    return row_id.split("/", 1)[0].rsplit(":", 1)[0]


class ChromaStore(Store):
    def __init__(self, client: Any, prefix: str, model_name: str, multilingual_name: str = "") -> None:
        self._client = client
        base = f"{prefix}-{_collection_slug(model_name)}"
        cosine = {"hnsw": {"space": "cosine"}}
        self._ml_chunks = self._ml_sentences = self._ml_ready = None
        try:
            self._catalog = client.get_or_create_collection(
                f"{base}-catalog", embedding_function=None
            )
            self._chunks = client.get_or_create_collection(
                f"{base}-chunks", configuration=cosine, embedding_function=None
            )
            self._sentences = client.get_or_create_collection(
                f"{base}-sentences", configuration=cosine, embedding_function=None
            )
            if multilingual_name:
                ml = f"{base}-x-{_collection_slug(multilingual_name)}"
                # Only looked up by id: no vector index needed for these two.
                self._ml_chunks = client.get_or_create_collection(f"{ml}-chunks", embedding_function=None)
                self._ml_sentences = client.get_or_create_collection(f"{ml}-sentences", embedding_function=None)
                self._ml_ready = client.get_or_create_collection(f"{ml}-ready", embedding_function=None)
            # Sentence rows per write call (passages go four times fewer: a passage row costs
            # several sentence rows). Measured on 2 cores: 16 rows a call ≈ 850 rows/s, 256 ≈
            # 2,400/s. The embedded store holds the GIL for a whole call, so the bot lowers this
            # to keep its event loop from waiting long behind a write.
            self.write_batch = min(int(client.get_max_batch_size()), 256)
        except Exception as e:
            raise StoreError(f"Could not open the Chroma index: {e}") from e

    # -- catalog -------------------------------------------------------------------------
    def catalog(self, *, doc_id: str | None = None, source: str | None = None) -> list[DocumentRecord]:
        where = {"doc_id": doc_id} if doc_id is not None else {"source": source} if source is not None else None
        got = self._catalog.get(where=where, include=["metadatas"])
        return [DocumentRecord.from_metadata(m) for m in got["metadatas"]]

    def put_records(self, records: Sequence[DocumentRecord]) -> None:
        if not records:
            return
        self._catalog.upsert(
            ids=[r.key for r in records],
            embeddings=[[0.0, 0.0] for _ in records],  # Chroma needs a vector; catalog rows are looked up by id
            metadatas=[r.to_metadata() for r in records],
        )

    def delete_records(self, keys: Sequence[str]) -> None:
        if keys:
            self._catalog.delete(ids=list(keys))

    # -- vectors -------------------------------------------------------------------------
    def add_vectors(self, chunks, chunk_vectors, sentences, sentence_vectors, progress=None) -> None:
        # `add`, not `upsert`: every version has a fresh key, so ids never repeat, and `add`
        # skips a lookup per row. Sentence texts are not stored (they are slices of their
        # chunk's text, never read back), which spares the full-text index a row per sentence.
        # A passage row costs several times a sentence row (its text goes into the full-text
        # index), so passages go in smaller batches to keep each GIL-holding call short.
        total, done = len(chunks) + len(sentences), 0
        step = max(1, self.write_batch // 4)
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self._chunks.add(
                ids=[c.chunk_id for c in part],
                embeddings=chunk_vectors[i : i + step],
                documents=[c.text for c in part],
                metadatas=[c.metadata for c in part],
            )
            done += len(part)
            if progress:
                progress(done, total)
        for i in range(0, len(sentences), self.write_batch):
            part = sentences[i : i + self.write_batch]
            self._sentences.add(
                ids=[s.sentence_id for s in part],
                embeddings=sentence_vectors[i : i + self.write_batch],
                metadatas=[
                    {"key": s.key, "chunk_id": s.chunk_id, "start": s.start, "end": s.end}
                    for s in part
                ],
            )
            done += len(part)
            if progress:
                progress(done, total)

    def delete_vectors(self, keys: Sequence[str]) -> None:
        # The reverse of the order they are written in (passages first, then sentences; the
        # multilingual side after the commit), so that a version with any vectors left always
        # has passage rows, which is all `vector_keys` needs to scan.
        self.delete_multilingual(keys)
        for key in keys:
            self._sentences.delete(where={"key": key})
            self._chunks.delete(where={"key": key})

    def vector_keys(self) -> set[str]:
        found: set[str] = set()
        for collection in (self._chunks, self._ml_chunks):
            if collection is not None:
                found.update(_key_of(i) for i in _all_ids(collection))
        return found

    def _pages(self, collection: Any, key: str, include: list[str]):
        """A version's rows, read a page at a time: like a write, a read holds the GIL for its
        whole call, and a 5 MB document has thousands of passages."""
        page, offset = self.write_batch * 4, 0
        while True:
            got = collection.get(where={"key": key}, include=include, limit=page, offset=offset)
            yield got
            if len(got["ids"]) < page:
                return
            offset += page

    def chunks(self, keys: Sequence[str]) -> list[ChunkRow]:
        rows: list[ChunkRow] = []
        for key in keys:
            for got in self._pages(self._chunks, key, ["documents", "metadatas", "embeddings"]):
                rows.extend(
                    ChunkRow(cid, key, text, meta, np.asarray(vector, dtype=np.float32))
                    for cid, text, meta, vector in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
                )
        rows.sort(key=lambda r: (r.key, r.metadata.get("ordinal", 0)))
        return rows

    def _query(self, collection: Any, vector: np.ndarray, n: int, keys: Sequence[str]) -> list[Hit]:
        """Nearest rows of live document versions.

        Ids carry their version ("<key>:<ordinal>[/<sentence>]"), so filtering happens here
        rather than in Chroma: an unfiltered query without metadata is several times faster,
        and rows of a version being written (or removed) are rare and simply skipped.
        """
        if not keys or n <= 0:
            return []
        live = set(keys)
        got = collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        hits = []
        for row_id, distance in zip(got["ids"][0], got["distances"][0]):
            chunk_id = row_id.split("/", 1)[0]
            if chunk_id.rsplit(":", 1)[0] in live:
                hits.append(Hit(id=row_id, score=1.0 - float(distance), chunk_id=chunk_id))
        return hits

    def query_chunks(self, vector, n, keys):
        return self._query(self._chunks, vector, n, keys)

    def query_sentences(self, vector, n, keys):
        return self._query(self._sentences, vector, n, keys)

    def sentence_vectors(self, ids):
        return _vectors_by_id(self._sentences, ids)

    # -- multilingual side index ---------------------------------------------------------
    def _multilingual(self) -> tuple[Any, Any, Any]:
        if self._ml_chunks is None:
            raise StoreError("No multilingual model is configured (MULTILINGUAL_MODEL is empty).")
        return self._ml_chunks, self._ml_sentences, self._ml_ready

    def add_multilingual(self, ids, vectors) -> None:
        chunks, sentences, _ = self._multilingual()
        passages = [i for i, row_id in enumerate(ids) if "/" not in row_id]
        lines = [i for i, row_id in enumerate(ids) if "/" in row_id]
        # Upsert: a version interrupted half-way (or computed by two processes at once) is
        # simply written again.
        for collection, rows in ((chunks, passages), (sentences, lines)):
            for i in range(0, len(rows), self.write_batch):
                part = rows[i : i + self.write_batch]
                collection.upsert(ids=[ids[j] for j in part], embeddings=vectors[part],
                                  metadatas=[{"key": _key_of(ids[j])} for j in part])

    def mark_multilingual_ready(self, key: str) -> None:
        _, _, ready = self._multilingual()
        ready.upsert(ids=[key], embeddings=[[0.0, 0.0]], metadatas=[{"key": key}])

    def multilingual_keys(self) -> set[str]:
        if self._ml_ready is None:
            return set()
        return set(_all_ids(self._ml_ready))

    def multilingual_passages(self, keys) -> tuple[list[str], np.ndarray]:
        chunks, _, _ = self._multilingual()
        ids: list[str] = []
        vectors: list[Any] = []
        for key in keys:
            for got in self._pages(chunks, key, ["embeddings"]):
                ids += got["ids"]
                vectors += list(got["embeddings"])
        return ids, np.asarray(vectors, dtype=np.float32).reshape(len(ids), -1)

    def multilingual_vectors(self, ids) -> dict[str, np.ndarray]:
        chunks, sentences, _ = self._multilingual()
        found: dict[str, np.ndarray] = {}
        for collection, wanted in ((chunks, [i for i in ids if "/" not in i]), (sentences, [i for i in ids if "/" in i])):
            found.update(_vectors_by_id(collection, wanted))
        return found

    def delete_multilingual(self, keys) -> None:
        if self._ml_chunks is None:
            return
        for key in keys:
            self._ml_ready.delete(ids=[key])
            self._ml_sentences.delete(where={"key": key})
            self._ml_chunks.delete(where={"key": key})


def _vectors_by_id(collection: Any, ids: Sequence[str]) -> dict[str, np.ndarray]:
    if not ids:
        return {}
    got = collection.get(ids=list(ids), include=["embeddings"])
    return dict(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))


def _all_ids(collection: Any, page: int = 5000) -> list[str]:
    ids: list[str] = []
    while True:
        got = collection.get(include=[], limit=page, offset=len(ids))
        ids += got["ids"]
        if len(got["ids"]) < page:
            return ids


def make_store(settings: Settings, model_name: str, multilingual_name: str = "") -> Store:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    read_only = False
    try:
        if settings.chroma_host:
            token = settings.chroma_auth_token.get_secret_value()
            if token:
                chroma_settings = ChromaSettings(
                    anonymized_telemetry=False,
                    chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
                    chroma_client_auth_credentials=token,
                )
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        else:
            path, read_only = _embedded_path(settings.chroma_dir)
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as e:
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.chroma_dir
        raise StoreError(f"Could not open the Chroma index at {where}: {e}") from e
    store = ChromaStore(client, settings.chroma_collection_prefix, model_name, multilingual_name)
    if read_only:
        store.read_only_reason = (
            f"{settings.data_dir} is read-only, so documents cannot be added, replaced or removed; "
            "answers come from the existing index. Make DATA_DIR writable and restart to change documents."
        )
    return store


def _embedded_path(chroma_dir: Path) -> tuple[Path, bool]:
    """Where to open the embedded index: its own folder, or, when that cannot be written (a
    read-only volume, a full disk), a temporary copy, since Chroma cannot open an index read-only."""
    try:
        chroma_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=chroma_dir):
            return chroma_dir, False
    except OSError as e:
        if not (chroma_dir / "chroma.sqlite3").exists():
            raise StoreError(f"{chroma_dir} cannot be written ({e.strerror or e}) and holds no index yet: "
                             "make DATA_DIR writable.") from e
        copy = Path(tempfile.mkdtemp(prefix="chroma-read-only-"))
        shutil.copytree(chroma_dir, copy, dirs_exist_ok=True)
        log.error("%s cannot be written (%s): serving a copy of the index from %s; documents cannot be "
                  "changed until it is writable", chroma_dir, e.strerror or e, copy)
        return copy, True

