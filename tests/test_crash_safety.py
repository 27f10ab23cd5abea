"""SIGKILL in the middle of indexing or removing: after a restart the index holds either the old
state or the new one, whole; never a part."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import ROOT


def cli(*args, data_dir):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "WARNING"}
    return [sys.executable, "-m", "retrieval", "--data-dir", str(data_dir), *args], env


def run(*args, data_dir) -> subprocess.CompletedProcess:
    cmd, env = cli(*args, data_dir=data_dir)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def big_version(paragraphs: int) -> str:
    body = "\n\n".join(
        f"Paragraph {i} of the Harbour Accord sets berth {i} aside for ferries. It is reviewed every year."
        for i in range(paragraphs)
    )
    return f"---\ntitle: Harbour Accord\n---\n\nThe Harbour Accord was signed in Gdansk.\n\n{body}\n"


def test_sigkill_during_a_replacement_keeps_the_old_version(tmp_path):
    data_dir = tmp_path / "var"
    doc = tmp_path / "harbour.md"
    doc.write_text("---\ntitle: Harbour Accord\n---\n\nThe Harbour Accord was signed in Gdansk.\n", encoding="utf-8")
    assert run("ingest", str(doc), data_dir=data_dir).returncode == 0
    old = json.loads(run("docs", "--json", data_dir=data_dir).stdout)

    doc.write_text(big_version(300), encoding="utf-8")  # ~600 sentences: long enough to interrupt
    cmd, env = cli("ingest", str(doc), data_dir=data_dir)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = bytearray()

    def read_progress() -> None:
        for chunk in iter(lambda: proc.stderr.read1(256), b""):
            seen.extend(chunk)

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while b"sent" not in seen and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)  # the progress bar shows embedding has started
    assert proc.poll() is None, "the ingest finished before it could be interrupted"
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    docs = [json.loads(line) for line in run("docs", "--json", data_dir=data_dir).stdout.splitlines()]
    assert docs == [old]  # the old version, whole
    answer = json.loads(run("ask", "Which berth is set aside for ferries in paragraph 7?", "--json",
                            data_dir=data_dir).stdout)
    assert all("Paragraph" not in p["text"] for p in answer["passages"])  # nothing of the half-written one

    again = run("ingest", str(doc), data_dir=data_dir)  # re-running completes it
    assert again.returncode == 0 and again.stdout.startswith("replaced")
    docs = [json.loads(line) for line in run("docs", "--json", data_dir=data_dir).stdout.splitlines()]
    assert len(docs) == 1 and docs[0]["chunks"] > old["chunks"]


KILL_DURING_REMOVE = """
import os, signal, sys
from pathlib import Path
from retrieval.service import Services
from retrieval.settings import Settings

services = Services(Settings(_env_file=None, data_dir=Path(sys.argv[1])))
die = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[3] == "before-commit":
    services.store.put_records = die  # killed as the tombstone is being written
else:
    services.store._sentences.delete = die  # killed halfway through deleting the vectors
services.index.remove(sys.argv[2])
"""


@pytest.mark.parametrize("point", ["before-commit", "during-cleanup"])
def test_sigkill_during_a_removal_leaves_it_whole_or_gone(point, corpus_dir, shared_corpus, make_services, tmp_path):
    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)  # the same index as shared_corpus, which tells what is in it
    question = "Which technology areas did Ishiba and Lee discuss?"
    record = shared_corpus.index.find(shared_corpus.answer(question).citations[0].doc_id)

    cmd, env = cli(data_dir=data_dir)
    done = subprocess.run([sys.executable, "-c", KILL_DURING_REMOVE, str(data_dir), record.doc_id, point],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]

    after = make_services(data_dir=data_dir)  # a restart: recovery runs first
    live = {r.doc_id: r for r in after.index.documents()}
    answer = after.answer(question)
    if point == "before-commit":  # the old state, whole
        assert live[record.doc_id].chunks == record.chunks
        assert any(c.doc_id == record.doc_id for c in answer.citations)
    else:  # gone, and nothing of it left to retrieve
        assert record.doc_id not in live
        assert all(p.doc_id != record.doc_id for p in answer.passages)
        assert record.key not in after.store.vector_keys()
