"""The catalog shared by several processes: commits checked again under a lock in the database.

Two `Services` on one index and one database stand for two processes: each has its own `Index`
(its own in-process lock) and its own database engine, so only the database lock is shared.
Every test runs on SQLite and on PostgreSQL (`database_url`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from retrieval.embedding import Embedder
from retrieval.errors import StoreError
from retrieval.index import prepare
from retrieval.store import LIVE, REMOVED
from tests.conftest import free_port


class WatchedEmbedder(Embedder):
    """The real model, seen through the `Embedder` seam: counts calls, and can run `before_next`
    once, just before its next call (to make another process act at that very moment)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.calls = 0
        self.before_next = None

    def embed_array(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        self.calls += 1
        action, self.before_next = self.before_next, None
        if action:
            action()
        return self.inner.embed_array(texts, batch_size)


def long_document(title: str, paragraphs: int = 60) -> bytes:
    body = "\n\n".join(f"Paragraph {i} of the {title} assigns berth {i} to research vessels. "
                       f"It is reviewed every spring by the harbour board." for i in range(paragraphs))
    return f"---\ntitle: {title}\n---\n\nThe {title} was signed in Gdansk.\n\n{body}\n".encode()


@pytest.fixture
def two_processes(make_services, database_url, tmp_path, embedder):
    def build(first_embedder=None):
        data_dir = tmp_path / "var"  # one embedded index; one database
        return (make_services(data_dir=data_dir, database_url=database_url),
                make_services(data_dir=data_dir, database_url=database_url, embedder_=first_embedder))
    return build


def test_the_same_content_sent_to_two_processes_at_once_is_one_document(two_processes, embedder):
    first, second = two_processes()
    data = long_document("Harbour Accord")
    prepared = prepare(data, "harbour.md", first.settings, embedder)  # both arrive ready to commit
    barrier = threading.Barrier(2)
    results = [None, None]

    def ingest(i: int, services) -> None:
        barrier.wait()
        results[i] = services.index.ingest_bytes(data, "harbour.md", origin="upload", prepared=prepared)

    threads = [threading.Thread(target=ingest, args=(i, s)) for i, s in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(r.status for r in results) == ["new", "unchanged"]
    doc_id = results[0].record.doc_id
    assert [r.status for r in first.store.catalog() if r.doc_id == doc_id] == [LIVE]
    assert first.store.vector_keys() == {results[0].record.key}  # the loser's vectors are gone too
    assert second.index.find(doc_id).doc_id == doc_id  # not "several documents start with that id"
    second.index.remove(doc_id)
    assert first.index.documents() == []


def test_reindex_skips_a_document_another_process_removed_meanwhile(two_processes, embedder):
    watched = WatchedEmbedder(embedder)
    other, reindexing = two_processes(first_embedder=watched)
    kept = other.index.ingest_bytes(long_document("Kept Charter", 5), "kept.md").record
    gone = other.index.ingest_bytes(long_document("Removed Charter", 5), "removed.md").record
    order = [d.doc_id for d in reindexing.index.documents()]
    # While this process re-embeds the first document of its list, the other removes it.
    first_in_list = gone if order[0] == gone.doc_id else kept
    watched.before_next = lambda: other.index.remove(first_in_list.doc_id)
    results = reindexing.index.reindex()
    survivor = kept if first_in_list is gone else gone
    assert [r.record.doc_id for r in results] == [survivor.doc_id]
    catalog = {(r.doc_id, r.status) for r in reindexing.store.catalog()}
    assert catalog == {(survivor.doc_id, LIVE), (first_in_list.doc_id, REMOVED)}  # not brought back
    assert reindexing.store.vector_keys() == {results[0].record.key}


def test_start_up_sync_runs_one_process_at_a_time_and_unchanged_files_cost_nothing(two_processes, embedder, tmp_path):
    watched = WatchedEmbedder(embedder)
    first, second = two_processes(first_embedder=watched)
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "a.md").write_bytes(long_document("Alpha Accord", 3))
    (folder / "b.md").write_bytes(long_document("Beta Accord", 3))
    results: dict[str, list] = {}
    threads = [threading.Thread(target=lambda s=s, n=n: results.__setitem__(n, s.index.sync(folder)))
               for n, s in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    statuses = sorted(sorted(r.status for r in rs) for rs in results.values())
    assert statuses == [["new", "new"], ["unchanged", "unchanged"]]  # one indexed, the other found it done
    assert sorted(d.title for d in first.index.documents()) == ["Alpha Accord", "Beta Accord"]

    calls = watched.calls
    assert [r.status for r in second.index.sync(folder)] == ["unchanged", "unchanged"]
    assert watched.calls == calls  # nothing embedded for unchanged files
    (folder / "b.md").write_bytes(long_document("Beta Accord", 4))
    assert sorted(r.status for r in second.index.sync(folder)) == ["replaced", "unchanged"]


def test_originals_are_in_the_database_and_files_of_earlier_versions_are_imported(make_services, tmp_path):
    data_dir = tmp_path / "var"
    (data_dir / "files").mkdir(parents=True)
    (data_dir / "files" / "0123456789ab.md").write_bytes(b"# Old upload\n\nKept by an earlier version.")
    services = make_services(data_dir=data_dir)
    assert services.index.originals.get("0123456789ab.md") == b"# Old upload\n\nKept by an earlier version."
    record = services.index.ingest_bytes(long_document("Gamma Accord", 2), "gamma.md").record
    assert services.index.originals.get(record.stored_file) == long_document("Gamma Accord", 2)
    assert not (data_dir / "files" / record.stored_file).exists()
    services.index.remove(record.doc_id)
    assert services.index.originals.get(record.stored_file) is None


def test_a_chroma_server_without_a_shared_database_is_warned_about(make_services, caplog):
    caplog.set_level(logging.WARNING, logger="retrieval.service")
    with pytest.raises(StoreError):  # nothing listens there; the warning comes first
        make_services(chroma_host="127.0.0.1", chroma_port=free_port())
    assert "CHROMA_HOST is set but DATABASE_URL is not" in caplog.text
