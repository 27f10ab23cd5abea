"""Ingestion is idempotent and atomic; removal is final; keyword and dense search agree."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import DOCUMENTS

from retrieval.errors import UnknownDocumentError
from retrieval.index import prepare, prepare_many
from retrieval.loading import load_path
from retrieval.loading import DocumentError
from retrieval.store import LIVE, PENDING, REMOVED

BRIEF_V1 = """---
title: "Quantum Sensing Pact"
publisher: Test Institute
date: 2026-03-01
---

## Background

The Quantum Sensing Pact was signed in Reykjavik by three research agencies. It funds twelve joint laboratories.

## Outlook

Observers expect the laboratories to open in 2027, pending budget approval.
"""

BRIEF_V2 = BRIEF_V1.replace("twelve joint laboratories", "fifteen joint laboratories")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def live_chunk_texts(services) -> list[str]:
    snap = services.index.snapshot(max_age=0)
    return [c.text for c in snap.chunks.values()]


def test_reingesting_an_unchanged_file_adds_nothing(make_services, tmp_path):
    services = make_services()
    path = write(tmp_path, "pact.md", BRIEF_V1)
    first = services.index.ingest_path(path)
    again = services.index.ingest_path(path)
    assert (first.status, again.status) == ("new", "unchanged")
    assert again.record.doc_id == first.record.doc_id
    assert len(services.index.documents()) == 1
    assert len(live_chunk_texts(services)) == first.record.chunks


def test_same_content_under_another_name_is_a_duplicate(make_services, tmp_path):
    services = make_services()
    services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V1))
    dup = services.index.ingest_path(write(tmp_path, "copy-of-pact.md", BRIEF_V1))
    assert dup.status == "duplicate"
    assert len(services.index.documents()) == 1


def test_a_changed_file_replaces_its_old_version(make_services, tmp_path):
    services = make_services()
    old = services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V1))
    new = services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V2))
    assert new.status == "replaced" and new.replaced[0].doc_id == old.record.doc_id
    docs = services.index.documents()
    assert [d.doc_id for d in docs] == [new.record.doc_id]
    texts = " ".join(live_chunk_texts(services))
    assert "fifteen" in texts and "twelve" not in texts
    answer = services.answer("How many joint laboratories does the Quantum Sensing Pact fund?")
    assert "fifteen" in answer.answer and "twelve" not in answer.answer
    # The old version's vectors are gone from the store, not merely hidden.
    assert services.store.vector_keys() == {new.record.key}


def test_removed_document_is_never_retrieved_again(make_services, tmp_path):
    services = make_services()
    record = services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V1)).record
    assert not services.answer("Where was the Quantum Sensing Pact signed?").abstained
    services.index.remove(record.doc_id)
    answer = services.answer("Where was the Quantum Sensing Pact signed?")
    assert answer.abstained
    assert all("Reykjavik" not in p.text for p in answer.passages)
    assert services.store.vector_keys() == set()
    with pytest.raises(UnknownDocumentError):
        services.index.remove(record.doc_id)


def test_a_removed_shipped_document_stays_removed_on_sync(make_services, tmp_path):
    services = make_services()
    path = write(tmp_path, "pact.md", BRIEF_V1)
    record = services.index.ingest_path(path, origin="documents").record
    services.index.remove(record.doc_id)
    again = services.index.ingest_path(path, origin="documents", respect_removed=True)
    assert again.status == "skipped-removed"
    assert services.index.documents() == []
    # An explicit ingest by an operator brings it back.
    assert services.index.ingest_path(path).status == "new"
    assert [r.status for r in services.store.catalog()] == [LIVE]


@pytest.mark.parametrize(
    "name, data",
    [
        ("empty.txt", b""),
        ("blank.md", b"   \n\n\t  \n"),
        ("junk.txt", bytes(range(256)) * 64),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not really a pdf"),
        ("notes.exe", b"MZ\x90\x00"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(make_services, tmp_path, name, data):
    services = make_services()
    services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V1))
    before = ([r.key for r in services.store.catalog()], sorted(services.store.vector_keys()))
    with pytest.raises(DocumentError) as err:
        services.index.ingest_bytes(data, name)
    assert name.split(".")[0] in str(err.value) or "format" in str(err.value).lower()
    after = ([r.key for r in services.store.catalog()], sorted(services.store.vector_keys()))
    assert before == after


def test_interrupted_ingest_leaves_the_old_state(make_services, tmp_path, monkeypatch):
    services = make_services()
    old = services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V1)).record

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut while writing vectors")

    monkeypatch.setattr(services.store, "add_vectors", crash)
    with pytest.raises(KeyboardInterrupt):
        services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V2))
    monkeypatch.undo()
    # Readers see the old version only, even before recovery runs.
    assert [d.doc_id for d in services.index.documents()] == [old.doc_id]
    assert "twelve" in " ".join(live_chunk_texts(services))
    assert any(r.status == PENDING for r in services.store.catalog())
    # A restart recovers: the unfinished version disappears, and re-running completes it.
    restarted = make_services(data_dir=services.settings.data_dir)
    assert [r.status for r in restarted.store.catalog()] == [LIVE]
    result = restarted.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V2))
    assert result.status == "replaced"
    assert "fifteen" in " ".join(live_chunk_texts(restarted))


def test_interrupted_removal_completes_on_restart(make_services, tmp_path, monkeypatch):
    services = make_services()
    record = services.index.ingest_path(write(tmp_path, "pact.md", BRIEF_V1)).record
    monkeypatch.setattr(services.store, "delete_vectors", lambda keys: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        services.index.remove(record.doc_id)
    monkeypatch.undo()
    assert services.index.documents() == []  # the tombstone was committed first
    assert services.answer("Where was the Quantum Sensing Pact signed?").abstained
    restarted = make_services(data_dir=services.settings.data_dir)
    assert restarted.store.vector_keys() == set()
    assert [r.status for r in restarted.store.catalog()] == [REMOVED]


def test_reindex_rebuilds_from_stored_files(make_services, tmp_path):
    services = make_services()
    path = write(tmp_path, "pact.md", BRIEF_V1)
    record = services.index.ingest_path(path).record
    path.unlink()  # the original upload is gone; the stored copy is enough
    results = services.index.reindex()
    assert [r.record.doc_id for r in results] == [record.doc_id]
    assert services.store.vector_keys() == {results[0].record.key}
    assert not services.answer("Where was the Quantum Sensing Pact signed?").abstained


@pytest.mark.parametrize("term", ["14257", "Senkaku", "Section 122", "28,500"])
def test_hybrid_search_finds_exact_terms_dense_search_misses(shared_corpus, term):
    """Executive-order numbers, place names, figures: BM25 catches what embeddings blur."""
    snapshot = shared_corpus.index.snapshot()
    vector = shared_corpus.index.embedder.embed_query_array(term)
    dense = [h.chunk_id for h in shared_corpus.store.query_chunks(vector, 3, snapshot.keys)]
    assert not any(term in snapshot.chunks[c].text for c in dense)
    passages = shared_corpus.assistant.retriever.retrieve(term, 5).passages
    assert term in passages[0].text


def test_retrieved_passages_are_not_near_copies(shared_corpus):
    passages = shared_corpus.assistant.retriever.retrieve("technology cooperation between Japan and Korea", 5).passages
    texts = [set(p.text.lower().split()) for p in passages]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            assert len(texts[i] & texts[j]) / len(texts[i] | texts[j]) < 0.8


def test_chunks_are_verbatim_slices_with_metadata(shared_corpus):
    snapshot = shared_corpus.index.snapshot()
    records = {r.key: r for r in shared_corpus.index.documents()}
    sources = {r.key: load_path(DOCUMENTS / r.source) for r in records.values()}
    for chunk in snapshot.chunks.values():
        meta = chunk.metadata
        record = records[chunk.key]
        assert (meta["doc_id"], meta["title"], meta["date"]) == (record.doc_id, record.title, record.date)
        assert sources[chunk.key].text[meta["start"] : meta["end"]] == chunk.text
        assert isinstance(meta["paragraph"], int) and "section" in meta


def test_unknown_document_id_is_a_clear_error(corpus_services):
    with pytest.raises(UnknownDocumentError, match="docs"):
        corpus_services.index.remove("does-not-exist")



def test_many_files_are_prepared_together_and_committed_one_by_one(make_services, tmp_path):
    services = make_services()
    paths = [write(tmp_path, f"pact-{i}.md", BRIEF_V1.replace("Quantum Sensing Pact", f"Sensing Pact {i}"))
             for i in range(4)]
    paths.insert(2, write(tmp_path, "empty.txt", ""))
    results = dict(services.index.ingest_paths(paths))
    assert isinstance(results[paths[2]], DocumentError)  # one bad file keeps out only itself
    assert [results[p].status for p in paths if p.suffix == ".md"] == ["new"] * 4
    assert len(services.index.documents()) == 4 == len(services.store.vector_keys())
    # Embedded in one sorted call with other files' sentences, a file gets the vectors it gets alone.
    alone = prepare(paths[0].read_bytes(), paths[0].name, services.settings, services.index.embedder)
    together = prepare_many([(p.read_bytes(), p.name) for p in paths], services.settings, services.index.embedder)
    np.testing.assert_allclose(together[0].sentence_vectors, alone.sentence_vectors, atol=1e-5)
    assert [isinstance(p, DocumentError) for p in together] == [False, False, True, False, False]
