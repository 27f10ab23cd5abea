"""The same core against a real Chroma server (`chroma run` from the chromadb package).

Two `Services` objects stand in for two bot processes sharing one server: what one indexes,
the other answers from; what one removes, the other never cites again.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retrieval.index import iter_document_files
from tests.conftest import DOCUMENTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        pytest.fail("the `chroma` command from the chromadb package is missing: run `make test` to install it")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 30 s")
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


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
