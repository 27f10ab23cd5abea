"""Adding, replacing and removing documents: idempotent, atomic, and never losing a file.

Every change follows one protocol (see `store.py`): write the new version's vectors under
a `pending` catalog record, then flip catalog records in a single upsert (the commit point),
then clean up what the flip made invisible. A crash before the flip leaves the old state; a
crash after it leaves the new one; `recover()` removes the leftovers either way.

Several processes may share one catalog (a Chroma server). The flip is made under a lock in
the shared database (`catalog`), after checking again, inside the lock, what the catalog now
holds: so the same content sent to two processes at once becomes one document, and a version
prepared from a document that was removed meanwhile is dropped instead of bringing it back.
Vectors are written before the lock is taken, so the lock is held for a few catalog reads
and writes only.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .chunking import STANDALONE_KINDS, Chunk, chunk_document
from .database import Database
from .embedding import Embedder, embed_in_calls
from .errors import StoreError, UnknownDocumentError
from .keyword import KeywordIndex, acronyms, tokenize
from .loading import (SUPPORTED_SUFFIXES, DocumentError, LoadedDocument, is_web_source, load_document, safe_name,
                      web_suffix)
from .originals import Originals
from .settings import Settings
from .store import LIVE, PENDING, REMOVED, RETIRED, ChunkRow, DocumentRecord, SentenceRow, Store, sentence_id
from .store import chunk_id as make_chunk_id  # `chunk_id` names the value in _rows

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class IngestProgress:
    """How far one document has got: `stage` is "embedding" (distinct sentences embedded) or
    "writing" (passage and sentence rows stored)."""

    stage: str
    done: int
    total: int
    passages: int

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100


Progress = Callable[[IngestProgress], None]

# A pending version younger than this may belong to another process still indexing it.
_PENDING_GRACE_SECONDS = 15 * 60
# Sentences per call to the model. They are sorted by length first, so a small call pads
# as little as one big call would (measured: calls of 128 or 256 sorted sentences ran as fast
# as one call for all of them), progress is reported about every second, and a question
# needing the same model in the same process never waits long behind an ingest.
_EMBED_CALL = 128
# Files prepared together by `ingest_paths`: up to this much input, or this many files.
_GROUP_BYTES, _GROUP_FILES = 256 * 1024, 64
# Another process's commit holds the catalog lock for a few catalog reads and writes; waiting
# longer than this means something is wrong, and the user is told to try again.
_CATALOG_LOCK_SECONDS = 300


@dataclass
class IngestResult:
    source: str
    status: str  # "new", "replaced", "unchanged", "duplicate", "skipped-removed"
    record: DocumentRecord
    replaced: list[DocumentRecord] = field(default_factory=list)

    def summary(self) -> str:
        r = self.record
        when = f", {r.date}" if r.date else ""
        extra = ""
        if self.status == "duplicate":
            extra = f" (same content as {r.source})"
        return f"{self.status:<9} {r.doc_id}  {r.title}{when} — {r.chunks} chunks{extra}"


@dataclass
class Snapshot:
    """The live corpus as seen by retrieval: records, chunk rows and the keyword index."""

    signature: tuple[str, ...]
    records: dict[str, DocumentRecord]  # by key
    chunks: dict[str, ChunkRow]  # by chunk id
    keyword: KeywordIndex
    chunk_ids: list[str] = field(default_factory=list)
    # Passage vectors in memory (1.5 KB each): scoring every passage is a matrix product, far
    # cheaper than a round trip to the vector store on each question.
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    position: dict[str, int] = field(default_factory=dict)  # chunk id -> row of `matrix`
    # Each document version's words (body and metadata), and the words of all titles, publishers
    # and labels: how a question's names and references ("the joint statement") find their document.
    doc_words: dict[str, frozenset[str]] = field(default_factory=dict)
    reference_words: frozenset[str] = frozenset()
    # The few small labelled passages (captions, disclaimers) by kind: asked about as such, they
    # are looked up here rather than among the retrieved passages (labels.py).
    standalone: dict[str, list[str]] = field(default_factory=dict)

    def passage_vector(self, chunk_id: str) -> np.ndarray:
        return self.matrix[self.position[chunk_id]]

    def document_words(self, key: str) -> frozenset[str]:
        return self.doc_words.get(key, frozenset())

    def is_reference(self, token: str) -> bool:
        return token in self.reference_words

    def weight(self, token: str) -> float:
        """A question word's weight: its rarity in the text; nothing for a word only documents'
        labels hold ("the commentary" for a page whose label line says "commentary"), which
        points to a document and is not something a sentence of it need say."""
        if token in self.reference_words and not self.keyword.knows(token):
            return 0.0
        return self.keyword.idf(token)

    def passage_similarities(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        if not self.chunk_ids:
            return []
        scores = self.matrix @ vector
        top = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
        top = top[np.argsort(-scores[top])]
        return [(self.chunk_ids[i], float(scores[i])) for i in top]

    @property
    def keys(self) -> list[str]:
        return list(self.records)


def content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def version_id(data: bytes, source: str, doc: LoadedDocument | None = None) -> str:
    """The content hash that names one version of a document (its doc_id).

    A file is known by its bytes. A document fetched by link is known by the title and text
    extracted from it: pages carry ads, nonces and timestamps that change on every fetch while the
    document stays the same, so re-adding an unchanged page changes nothing."""
    if not is_web_source(source):
        return content_id(data)
    doc = doc or load_document(data, source)  # DocumentError: nothing has changed
    return content_id(f"{doc.title}\n\n{doc.text}".encode("utf-8"))


def is_doc_id(text: str) -> bool:
    """A whole document id as `content_id` makes them (`find` also accepts prefixes)."""
    return re.fullmatch(r"[0-9a-f]{12}", text) is not None


class Index:
    def __init__(self, settings: Settings, store: Store, embedder: Callable[[], Embedder], database: Database) -> None:
        self.settings = settings
        self.store = store
        self.database = database
        self.originals = Originals(database)
        self._embedder_factory = embedder
        self._write_lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._checked_at = 0.0
        self._listeners: list[Callable[[list[DocumentRecord]], None]] = []

    @property
    def embedder(self) -> Embedder:
        return self._embedder_factory()

    # -- reading -------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        live = [r for r in self.store.catalog() if r.status == LIVE]
        return sorted(live, key=lambda r: (r.date or "", r.title), reverse=True)

    def find(self, doc_id: str) -> DocumentRecord:
        doc_id = doc_id.strip()
        matches = [r for r in self.store.catalog() if r.status == LIVE and r.doc_id.startswith(doc_id)]
        if not doc_id or len(matches) != 1:
            hint = "several documents start with that id" if matches else "no such document"
            raise UnknownDocumentError(f"{doc_id or '(empty id)'}: {hint}; list them with `docs`.")
        return matches[0]

    def snapshot(self, max_age: float = 1.0) -> Snapshot:
        """The live corpus, refreshed when the catalog changed (possibly in another process)."""
        with self._snapshot_lock:
            now = time.monotonic()
            if self._snapshot is not None and now - self._checked_at < max_age:
                return self._snapshot
            live = {r.key: r for r in self.store.catalog() if r.status == LIVE}
            signature = tuple(sorted(live))
            if self._snapshot is None or self._snapshot.signature != signature:
                self._snapshot = self._build_snapshot(live, signature, self._snapshot)
            self._checked_at = now
            return self._snapshot

    def _build_snapshot(self, live: dict[str, DocumentRecord], signature, previous: Snapshot | None) -> Snapshot:
        chunks: dict[str, ChunkRow] = {}
        known = set(previous.records) if previous else set()
        if previous:
            chunks.update({cid: c for cid, c in previous.chunks.items() if c.key in live})
        for row in self.store.chunks([k for k in live if k not in known]):
            chunks[row.chunk_id] = row
        tokens = [tokenize(text) + sorted(acronyms(text)) for text in map(_keyword_text, chunks.values())]
        keyword = KeywordIndex(list(chunks), tokens=tokens)
        chunk_ids = list(chunks)
        matrix = np.stack([chunks[c].vector for c in chunk_ids]) if chunk_ids else np.zeros((0, 0), np.float32)
        words: dict[str, set[str]] = {key: set(tokenize(_metadata_text(r))) for key, r in live.items()}
        references = frozenset().union(*words.values()) if words else frozenset()
        for row, row_tokens in zip(chunks.values(), tokens):
            words[row.key].update(row_tokens)
        standalone: dict[str, list[str]] = {}
        for cid, row in chunks.items():
            if row.metadata.get("kind") in STANDALONE_KINDS:
                standalone.setdefault(row.metadata["kind"], []).append(cid)
        return Snapshot(signature, live, chunks, keyword, chunk_ids, matrix, {c: i for i, c in enumerate(chunk_ids)},
                        {k: frozenset(v) for k, v in words.items()}, references, standalone)

    def _invalidate(self) -> None:
        with self._snapshot_lock:
            self._checked_at = 0.0

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _catalog_lock(self):
        """Check-then-commit as one step, across threads and processes."""
        with self._write_lock, self.database.lock("catalog", timeout=_CATALOG_LOCK_SECONDS,
                                                  what="another change to the documents"):
            yield

    def ingest_path(self, path: Path, *, origin: str = "cli", respect_removed: bool = False,
                    progress: Progress | None = None) -> IngestResult:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise DocumentError(f"{path.name}: could not be read ({e.strerror or e}).") from e
        return self.ingest_bytes(data, path.name, origin=origin, respect_removed=respect_removed,
                                 progress=progress)

    def ingest_paths(self, paths: Iterable[Path], *, origin: str = "cli", respect_removed: bool = False,
                     progress: Progress | None = None) -> Iterator[tuple[Path, IngestResult | DocumentError]]:
        """`ingest_path` for many files, each still its own atomic commit; small files are
        prepared in groups so the model gets a few big calls rather than a small one per file.
        Yields each file with its result, or with the DocumentError that kept it out."""
        group: list[tuple[Path, bytes]] = []

        def flush() -> Iterator[tuple[Path, IngestResult | DocumentError]]:
            ready = prepare_many([(data, path.name) for path, data in group], self.settings, self.embedder, progress)
            for (path, data), prepared in zip(group, ready):
                try:
                    if isinstance(prepared, DocumentError):
                        raise prepared
                    yield path, self.ingest_bytes(data, path.name, origin=origin, respect_removed=respect_removed,
                                                  progress=progress, prepared=prepared)
                except DocumentError as e:
                    yield path, e
            group.clear()

        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as e:
                yield path, DocumentError(f"{path.name}: could not be read ({e.strerror or e}).")
                continue
            known = self.existing_version(data, path.name, respect_removed)
            if known is not None:
                yield path, known
                continue
            group.append((path, data))
            if sum(len(d) for _, d in group) >= _GROUP_BYTES or len(group) >= _GROUP_FILES:
                yield from flush()
        if group:
            yield from flush()

    def ingest_bytes(self, data: bytes, filename: str, *, origin: str = "cli", respect_removed: bool = False,
                     progress: Progress | None = None, prepared: Prepared | None = None) -> IngestResult:
        """Index one file. Unchanged content is a no-op; a new version of the same source
        (same file name, or same link) replaces the old one atomically.

        `prepared` is the result of `prepare()` run elsewhere (the bot runs it in a worker
        process, so that parsing and embedding a large upload never slow its replies)."""
        doc_id = version_id(data, filename, prepared.doc if prepared else None)
        known = self.existing_version(data, filename, respect_removed, doc_id=doc_id)
        if known is not None:
            return known
        self._check_writable()
        if prepared is None:
            prepared = prepare(data, filename, self.settings, self.embedder, progress)
        doc = prepared.doc
        stored_file = self._store_original(data, doc_id, doc.source)  # first: a full disk changes nothing
        record = self._write_version(prepared, doc_id, stored_file, origin, progress)
        with self._catalog_lock():
            # The catalog as it is now, looked up by id and source rather than read whole:
            # adding the 1,000th document costs what adding the first did. Another process (or
            # thread) may have committed the same content meanwhile.
            versions = self.store.catalog(doc_id=doc_id)
            known = _known(versions, safe_name(filename), respect_removed)
            if known is None:
                self._check_still_pending(record, versions)
                older = [r for r in self.store.catalog(source=doc.source) if r.status == LIVE]
                # An explicit re-add of a removed document clears its tombstone in the same commit.
                tombstones = [r for r in versions if r.status == REMOVED]
                if not self.originals.exists(stored_file):  # removed with another version meanwhile
                    self.originals.put(stored_file, data)
                self._commit([record], retire=older + tombstones)
                return IngestResult(doc.source, "replaced" if older else "new", record, older)
            # An original is named after its version id: only versions of that id can share it.
            in_use = {r.stored_file for r in versions if r.status in (LIVE, PENDING) and r.key != record.key}
            if stored_file not in in_use:  # e.g. removed meanwhile (a sync respects that)
                self.originals.delete([stored_file])
        self._discard(record)
        return known

    def existing_version(self, data: bytes, filename: str, respect_removed: bool = False,
                         doc_id: str | None = None) -> IngestResult | None:
        """The result of ingesting this file if nothing needs doing (same content already in)."""
        doc_id = doc_id or version_id(data, filename)
        return _known(self.store.catalog(doc_id=doc_id), safe_name(filename), respect_removed)

    def sync(self, directory: Path, report: Callable[[Path, IngestResult | DocumentError], None] | None = None,
             progress: Progress | None = None) -> list[IngestResult | DocumentError]:
        """Bring the index in line with a folder of documents (the shipped corpus): new and changed
        files are indexed (small ones prepared in groups, see `ingest_paths`), unchanged ones cost
        a hash and a lookup, removed ones stay removed. With several processes, one does it at a
        time; the others then find everything up to date."""
        if not directory.is_dir():
            log.warning("documents folder %s does not exist; nothing to index from it", directory)
            return []
        results: list[IngestResult | DocumentError] = []
        with self.database.lock("sync", what=f"indexing {directory}"):
            for path, result in self.ingest_paths(iter_document_files([directory]), origin="documents",
                                                  respect_removed=True, progress=progress):
                results.append(result)
                if report:
                    report(path, result)
        return results

    def remove(self, doc_id: str) -> DocumentRecord:
        self._check_writable()
        with self._catalog_lock():
            record = self.find(doc_id)  # the catalog as it is now, whatever another process did
            tombstone = replace(record, status=REMOVED)
            self._put([tombstone])  # commit point: from here on it is never retrieved
            self._invalidate()
            self._cleanup([record], keep_record=True)
            return tombstone

    def reindex(self, progress: Callable[[DocumentRecord, int, int], None] | None = None) -> list[IngestResult]:
        """Re-chunk and re-embed every live document from its stored original, one at a time,
        each switch atomic (questions keep being answered from the old version meanwhile).

        The list of documents is read at the start; each one's status is read again inside the
        lock before its switch, so a document removed or replaced meanwhile (in any process) is
        skipped rather than brought back."""
        self._check_writable()
        results = []
        documents = self.documents()
        for i, old in enumerate(documents):
            if progress:
                progress(old, i, len(documents))
            data = self.originals.get(old.stored_file)
            if data is None:
                if self._is_live(old):
                    raise StoreError(f"{old.source}: its original is missing from the database, so it cannot be "
                                     "rebuilt. Send the file again to replace it.")
                log.info("reindex: %s was removed meanwhile; skipped", old.source)
                continue
            prepared = prepare(data, old.source, self.settings, self.embedder)
            record = self._write_version(prepared, old.doc_id, old.stored_file, old.origin)
            with self._catalog_lock():
                versions = self.store.catalog(doc_id=old.doc_id)
                current = any(r.key == old.key and r.status == LIVE for r in versions)
                if current:
                    self._check_still_pending(record, versions)
                    self._commit([record], retire=[old])
            if not current:
                self._discard(record)
                log.info("reindex: %s was removed or replaced meanwhile; skipped", old.source)
                continue
            results.append(IngestResult(old.source, "reindexed", record, [old]))
        return results

    def recover(self) -> list[str]:
        """Finish what an interrupted run left: drop unpublished versions and stale vectors."""
        if self.store.read_only_reason:
            return []  # nothing can be finished on a read-only index; the next writable start will
        actions: list[str] = []
        with self._catalog_lock():
            # Vectors are listed before the catalog is read: a version's record is always written
            # before its vectors, so vectors found here belong to a record the catalog will show
            # (another process may be writing a version right now).
            vector_keys = self.store.vector_keys()
            catalog = self.store.catalog()
            now = time.time()
            stale = []
            for r in catalog:
                if r.status == RETIRED:
                    stale.append(r)
                elif r.status == PENDING and now - _timestamp(r.ingested_at) > (
                    _PENDING_GRACE_SECONDS if self.settings.chroma_host else 0
                ):
                    stale.append(r)
            if stale:
                self._cleanup(stale, keep_record=False)
                actions += [f"dropped unfinished {r.status} version of {r.source}" for r in stale]
            known = {r.key for r in catalog if r.status in (LIVE, PENDING)}
            orphans = sorted(vector_keys - known)
            if orphans:
                self.store.delete_vectors(orphans)
                actions.append(f"deleted vectors of {len(orphans)} unpublished or removed versions")
        for a in actions:
            log.info("recovery: %s", a)
        return actions

    # -- internals -----------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self.store.read_only_reason:
            raise StoreError(self.store.read_only_reason)

    def _is_live(self, record: DocumentRecord) -> bool:
        return any(r.key == record.key and r.status == LIVE for r in self.store.catalog(doc_id=record.doc_id))

    def _check_still_pending(self, record: DocumentRecord, catalog: list[DocumentRecord]) -> None:
        # Another process's start-up recovery can drop a pending version it takes for a crash's
        # leftover (embedded index, no grace period); publishing it then would show no passages.
        if not any(r.key == record.key and r.status == PENDING for r in catalog):
            raise StoreError(f"{record.source}: indexing was interrupted by another process restarting; "
                             "send the file again.")

    def _write_version(self, prepared: Prepared, doc_id: str, stored_file: str, origin: str,
                       progress: Progress | None = None) -> DocumentRecord:
        doc, chunks = prepared.doc, prepared.chunks
        key = f"{doc_id}-{uuid.uuid4().hex[:6]}"
        record = DocumentRecord(
            key=key, doc_id=doc_id, source=doc.source, title=doc.title, status=PENDING,
            publisher=doc.publisher, date=doc.date, source_url=doc.source_url, license=doc.license,
            sections=_sections(chunks), chunks=len(chunks), stored_file=stored_file,
            ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), origin=origin,
            genre=doc.extra.get("label", ""),
        )
        self._put([record])
        rows, sentence_rows = _rows(record, chunks)
        chunk_vectors = _chunk_vectors(rows, sentence_rows, prepared.sentence_vectors)
        written = (lambda done, total: progress(IngestProgress("writing", done, total, len(rows)))) if progress else None
        try:
            self.store.add_vectors(rows, chunk_vectors, sentence_rows, prepared.sentence_vectors, written)
        except Exception as e:
            raise StoreError(f"{doc.source}: could not be written to the index: {e}") from e
        return record

    def _discard(self, record: DocumentRecord) -> None:
        """Drop a version that will never be published (another writer got there first)."""
        self.store.delete_vectors([record.key])
        self.store.delete_records([record.key])

    def _commit(self, new: list[DocumentRecord], retire: Sequence[DocumentRecord]) -> None:
        self._put([replace(r, status=LIVE) for r in new] + [replace(r, status=RETIRED) for r in retire])
        for r in new:
            r.status = LIVE
        self._invalidate()
        self._cleanup(list(retire), keep_record=False, keep_files={r.stored_file for r in new})
        for listener in self._listeners:
            listener(new)

    def on_commit(self, listener: Callable[[list[DocumentRecord]], None]) -> None:
        """Call `listener(new live records)` after every commit made through this index."""
        self._listeners.append(listener)

    def _cleanup(self, records: Sequence[DocumentRecord], *, keep_record: bool, keep_files: set[str] = frozenset()) -> None:
        if not records:
            return
        self.store.delete_vectors([r.key for r in records])
        # An original is named after its version id: only versions of that id can share it.
        in_use = set(keep_files)
        for doc_id in {r.doc_id for r in records}:
            in_use |= {o.stored_file for o in self.store.catalog(doc_id=doc_id) if o.status in (LIVE, PENDING)}
        self.originals.delete(sorted({r.stored_file for r in records if r.stored_file and r.stored_file not in in_use}))
        if keep_record:
            self._put([replace(r, status=REMOVED, chunks=0) for r in records])
        else:
            self.store.delete_records([r.key for r in records])

    def _put(self, records: list[DocumentRecord]) -> None:
        try:
            self.store.put_records(records)
        except Exception as e:
            raise StoreError(f"The index could not be updated: {e}") from e

    def _store_original(self, data: bytes, doc_id: str, source: str) -> str:
        """Keep the original file, so `/reindex` and model changes never need the uploader again."""
        suffix = web_suffix(data) if is_web_source(source) else Path(source).suffix.lower()
        name = f"{doc_id}{suffix}"
        if not self.originals.exists(name):
            self.originals.put(name, data)
        return name


@dataclass
class Prepared:
    """A file parsed, chunked and embedded, ready to be written: the CPU-heavy half of an ingest."""

    doc: LoadedDocument
    chunks: list[Chunk]
    sentence_vectors: np.ndarray


def prepare(data: bytes, filename: str, settings: Settings, embedder: Embedder,
            progress: Progress | None = None) -> Prepared:
    """Load, chunk and embed: each distinct sentence once. A passage's vector is derived from
    its sentences' (see `_chunk_vectors`), so nothing is embedded twice."""
    [prepared] = prepare_many([(data, filename)], settings, embedder, progress)
    if isinstance(prepared, DocumentError):  # nothing has changed
        raise prepared
    return prepared


def prepare_many(files: Sequence[tuple[bytes, str]], settings: Settings, embedder: Embedder,
                 progress: Progress | None = None) -> list[Prepared | DocumentError]:
    """`prepare` for several files at once: their sentences go to the model together, sorted by
    length, so small files cost what their text costs and not a small call each."""
    loaded: list[tuple[LoadedDocument, list[Chunk]] | DocumentError] = []
    for data, filename in files:
        try:
            doc = load_document(data, filename)
            chunks = chunk_document(doc, settings.chunk_target_chars, settings.chunk_max_chars)
            if not chunks:
                raise DocumentError(f"{doc.source}: no readable sentences were found in it.")
            loaded.append((doc, chunks))
        except DocumentError as e:
            loaded.append(e)
    good = [item for item in loaded if not isinstance(item, DocumentError)]
    texts = [c.text[a:b] for _, chunks in good for c in chunks for a, b in c.sentences]
    passages = sum(len(chunks) for _, chunks in good)
    embedded = (lambda done, total: progress(IngestProgress("embedding", done, total, passages))) if progress else None
    vectors = embed_in_calls(embedder, texts, _EMBED_CALL, embedded)
    prepared: list[Prepared | DocumentError] = []
    start = 0
    for item in loaded:
        if isinstance(item, DocumentError):
            prepared.append(item)
            continue
        doc, chunks = item
        count = sum(len(c.sentences) for c in chunks)
        prepared.append(Prepared(doc, chunks, vectors[start : start + count]))
        start += count
    return prepared


def iter_document_files(paths: Iterable[Path]) -> list[Path]:
    """Supported files under the given paths; a corpus folder's own README is not a document."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                and p.name.lower() != "readme.md" and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def _rows(record: DocumentRecord, chunks: list[Chunk]) -> tuple[list[ChunkRow], list[SentenceRow]]:
    rows, sentences = [], []
    for c in chunks:
        chunk_id = make_chunk_id(record.key, c.ordinal)
        meta = {
            "key": record.key, "doc_id": record.doc_id, "title": record.title,
            "publisher": record.publisher, "date": record.date, "source": record.source,
            "section": c.section, "kind": c.kind, "paragraph": c.paragraph, "ordinal": c.ordinal,
            "start": c.start, "end": c.end,
            # Sentence offsets travel with the passage, so answers need no extra store lookup.
            "sentences": json.dumps(c.sentences),
        }
        rows.append(ChunkRow(chunk_id, record.key, c.text, meta))
        for j, (a, b) in enumerate(c.sentences):
            sentences.append(SentenceRow(sentence_id(chunk_id, j), chunk_id, record.key, c.text[a:b], a, b))
    return rows, sentences


def _chunk_vectors(rows: list[ChunkRow], sentences: list[SentenceRow], vectors: np.ndarray) -> np.ndarray:
    """A passage's vector is the normalised mean of its sentences' vectors.

    Each sentence is embedded once, at full resolution (no 256-token truncation of long
    passages), and the passage vector then costs nothing more.
    """
    position = {r.chunk_id: i for i, r in enumerate(rows)}
    owners = np.fromiter((position[s.chunk_id] for s in sentences), dtype=np.int64, count=len(sentences))
    sums = np.zeros((len(rows), vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, owners, vectors)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.maximum(norms, 1e-9)


def _metadata_text(record: DocumentRecord) -> str:
    return " ".join((record.title, record.publisher, record.genre, Path(record.source).stem.replace("_", " ")))


def _keyword_text(row: ChunkRow) -> str:
    m = row.metadata
    return f"{m.get('title', '')}\n{m.get('publisher', '')}\n{m.get('section', '')}\n{row.text}"


def _sections(chunks: list[Chunk]) -> list[str]:
    seen: list[str] = []
    for c in chunks:
        if c.section and c.kind == "body" and c.section not in seen:
            seen.append(c.section)
    return seen


def _known(records: list[DocumentRecord], source: str, respect_removed: bool) -> IngestResult | None:
    """What ingesting content whose versions are `records` comes to, if nothing needs doing."""
    for r in records:
        if r.status == LIVE:
            return IngestResult(source, "unchanged" if r.source == source else "duplicate", r)
    if respect_removed:
        for r in records:
            if r.status == REMOVED:
                return IngestResult(source, "skipped-removed", r)
    return None


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0

