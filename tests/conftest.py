"""Shared fixtures: the real bundled model (loaded once), real Chroma in temporary folders.

Network access other than loopback fails loudly: nothing in the suite may need the internet.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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

    def build(data_dir: Path | None = None, embedder_=None, **overrides):
        settings = Settings(data_dir=data_dir or tmp_path / "var", documents_dir=DOCUMENTS, **overrides)
        return Services(settings, embedder=embedder_ or embedder)

    return build


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory, embedder, worker_id):
    """A DATA_DIR with the shipped documents indexed once for the whole run (read-only use).

    Under pytest-xdist every worker has a session of its own; the first to get here builds the
    index and the others copy it (pytest-xdist's recipe for once-per-run fixtures), instead of
    each spending a minute of the run's two cores on the same embeddings.
    """
    from filelock import FileLock

    from retrieval.index import iter_document_files
    from retrieval.service import Services
    from retrieval.settings import Settings

    base = tmp_path_factory.getbasetemp()
    built = (base if worker_id == "master" else base.parent) / "corpus-index"
    with FileLock(f"{built}.lock"):
        if not (built / ".complete").exists():
            shutil.rmtree(built, ignore_errors=True)  # a build that was interrupted
            services = Services(Settings(data_dir=built / "var", documents_dir=DOCUMENTS), embedder=embedder)
            for path in iter_document_files([DOCUMENTS]):
                services.index.ingest_path(path, origin="documents")
            services.multilingual.compute_missing()  # Korean/Japanese search, as the bot does in the background
            (built / ".complete").touch()
    data_dir = tmp_path_factory.mktemp("corpus")
    shutil.copytree(built / "var", data_dir, dirs_exist_ok=True)
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


def services_over(root: Path, embedder, documents: dict[str, str]):
    """Services over made-up documents (file name: text), each ingested, in a fresh DATA_DIR."""
    from retrieval.service import Services
    from retrieval.settings import Settings

    docs = root / "documents"
    docs.mkdir()
    for name, text in documents.items():
        (docs / name).write_text(text, encoding="utf-8")
    services = Services(Settings(data_dir=root / "var", documents_dir=docs, multilingual_model=""), embedder=embedder)
    for path in sorted(docs.iterdir()):
        services.index.ingest_path(path)
    return services


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


# -- PostgreSQL ----------------------------------------------------------------------------------
class PostgresCluster:
    """A throw-away PostgreSQL server for the test session: initdb in a temporary folder, listening
    on 127.0.0.1 only (trust authentication: nothing else can reach it), stopped by its PID."""

    def __init__(self) -> None:
        self.bindir = _postgres_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="pytest-postgres-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.sockets.mkdir()
        self.port = free_port()
        self._databases = itertools.count(1)
        # initdb refuses to run as root: the cluster then belongs to the `postgres` system user.
        self.owner = "postgres" if os.geteuid() == 0 else None
        if self.owner:
            shutil.chown(self.root, self.owner)
            shutil.chown(self.sockets, self.owner)

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.owner:
            command = ["runuser", "-u", self.owner, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)

    def start(self) -> PostgresCluster:
        done = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--locale=C", "--no-sync")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off -c max_connections=300"
        done = self._run("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-o", options,
                         "-l", str(self.root / "server.log"))
        if done.returncode:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr[-1000:]} {log[-2000:]}")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database on this server; its URL."""
        import psycopg

        name = f"test_{next(self._databases)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        pid = getattr(self, "pid", None)
        if pid:
            try:
                os.kill(pid, signal.SIGINT)  # the postmaster's "fast shutdown"
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and _alive(pid):
                    time.sleep(0.1)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of pg_ctl's (already exited) shell counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _postgres_bindir() -> Path:
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        candidates.append(Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    pytest.fail("the PostgreSQL server programs (initdb, pg_ctl) are missing: on Debian, apt-get install postgresql "
                "(.ci/run does it)")


@pytest.fixture(scope="session")
def postgres():
    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """State tests run on both: a SQLite file, and a fresh database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared' / 'state.sqlite3'}"
    return request.getfixturevalue("postgres").new_database()


# Slowest files first: under pytest-xdist (--dist loadfile) they then run beside the others
# instead of after them, which would leave one worker idle at the end.
_SLOWEST_FIRST = ("test_bench.py", "test_scale_out.py", "test_bot.py", "test_quality.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(_SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
