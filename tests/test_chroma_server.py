"""The same core against a real Chroma server (`chroma run` from the chromadb package).

Two `Services` objects stand in for two bot processes sharing one server: what one indexes,
the other answers from; what one removes, the other never cites again.
"""

from __future__ import annotations

from retrieval.index import iter_document_files
from tests.conftest import DOCUMENTS


def test_two_processes_share_one_server(chroma_server, make_services, tmp_path):
    first = make_services(data_dir=tmp_path / "a", chroma_host="127.0.0.1", chroma_port=chroma_server)
    second = make_services(data_dir=tmp_path / "b", chroma_host="127.0.0.1", chroma_port=chroma_server)
    for path in iter_document_files([DOCUMENTS]):
        first.index.ingest_path(path)
    answer = second.answer("Which technology areas did Ishiba and Lee discuss?")
    assert "hydrogen" in answer.answer and not answer.abstained
    assert all(c.quote.split(" … ")[0] in c.passage for c in answer.citations)
    assert second.answer("How do I bake sourdough bread?").abstained

    upload = tmp_path / "pact.md"
    upload.write_text("---\ntitle: Quantum Sensing Pact\n---\n\nThe Quantum Sensing Pact was signed in Reykjavik.\n")
    record = first.index.ingest_path(upload).record
    second.index.snapshot(max_age=0)  # other processes notice catalog changes within a second
    assert "Reykjavik" in second.answer("Where was the Quantum Sensing Pact signed?").answer
    first.index.remove(record.doc_id)
    second.index.snapshot(max_age=0)
    assert second.answer("Where was the Quantum Sensing Pact signed?").abstained


def test_any_process_can_reindex_what_another_indexed(chroma_server, make_services, database_url, tmp_path):
    """Originals are in the shared database, not in the DATA_DIR of the process that took the upload."""
    prefix = f"reindex-{abs(hash(database_url)) % 10**8}"
    shared = {"chroma_host": "127.0.0.1", "chroma_port": chroma_server, "chroma_collection_prefix": prefix,
              "database_url": database_url}
    first = make_services(data_dir=tmp_path / "a", **shared)
    second = make_services(data_dir=tmp_path / "b", **shared)
    record = first.index.ingest_bytes(b"Tidal Note\n\nThe tidal note puts a turbine array at Eday.", "tidal.txt").record
    [result] = second.index.reindex()
    assert result.record.doc_id == record.doc_id and result.record.key != record.key
    assert "Eday" in first.answer("Where is the turbine array of the tidal note?").answer
