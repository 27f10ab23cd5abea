"""Shared fixtures: the real bundled model (loaded once), real Chroma in temporary folders.

Network access other than loopback fails loudly: nothing in the suite may need the internet.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "documents"
DEV_SET = ROOT / "eval" / "dev.jsonl"

_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise RuntimeError(f"test tried to reach {host}: only 127.0.0.1 is allowed")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only


@pytest.fixture(scope="session")
def embedder():
    from retrieval.embedding import make_embedder
    from retrieval.settings import Settings

    return make_embedder(Settings())


@pytest.fixture
def make_services(tmp_path, embedder):
    """Fresh services over an empty index in a temporary DATA_DIR."""
    from retrieval.service import Services
    from retrieval.settings import Settings

    def build(data_dir: Path | None = None, **overrides):
        settings = Settings(data_dir=data_dir or tmp_path / "var", documents_dir=DOCUMENTS, **overrides)
        return Services(settings, embedder=embedder)

    return build


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory, embedder):
    """A DATA_DIR with the shipped documents indexed once for the whole session (read-only use)."""
    from retrieval.index import iter_document_files
    from retrieval.service import Services
    from retrieval.settings import Settings

    data_dir = tmp_path_factory.mktemp("corpus")
    services = Services(Settings(data_dir=data_dir, documents_dir=DOCUMENTS), embedder=embedder)
    for path in iter_document_files([DOCUMENTS]):
        services.index.ingest_path(path, origin="documents")
    services.multilingual.compute_missing()  # Korean/Japanese search, as the bot does in the background
    return data_dir


@pytest.fixture
def corpus_services(corpus_dir, embedder, tmp_path):
    """Services over a private copy of the indexed corpus (safe to modify)."""
    from retrieval.service import Services
    from retrieval.settings import Settings

    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)
    return Services(Settings(data_dir=data_dir, documents_dir=DOCUMENTS), embedder=embedder)


@pytest.fixture(scope="session")
def shared_corpus(corpus_dir, embedder):
    """Services over the session's indexed corpus, for tests that only read."""
    from retrieval.service import Services
    from retrieval.settings import Settings

    return Services(Settings(data_dir=corpus_dir, documents_dir=DOCUMENTS), embedder=embedder)


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
