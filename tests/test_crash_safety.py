"""SIGKILL in the middle of indexing or removing: after a restart the index holds either the old
state or the new one, whole; never a part. Each kill happens in a real process, at a chosen
call (`KILL_DURING_INGEST`, `KILL_DURING_REMOVE`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

from retrieval.chunking import chunk_document
from retrieval.loading import load_path
from tests.conftest import ROOT


def cli(*args, data_dir):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "WARNING"}
    return [sys.executable, "-m", "retrieval", "--data-dir", str(data_dir), *args], env


def big_version(chars: int, variant: str = "") -> str:
    """A report of `chars` characters (1.5 MB makes ~1,200 passages and ~9,000 sentences, as
    long as real prose's), written from a few hundred distinct sentences: the ingest loads,
    splits, chunks and stores all of it, while the model, which embeds each distinct sentence
    once, has little to do, so the test stays short. Every 25th paragraph names itself."""
    pool = [f"The {w} of berth {k} is reviewed by the harbour board every {p}, and its findings are "
            f"published with the port authority's annual accounts so that ferry operators and residents "
            f"can comment before the next season."
            for k, (w, p) in enumerate((w, p) for w in ("schedule", "dredging", "lighting", "fencing", "mooring")
                                       for p in ("spring", "autumn", "year", "decade") for _ in range(10))]
    paragraphs, size, i = [], 0, 0
    while size < chars:
        picked = [pool[(i * 7 + t * 13) % len(pool)] for t in range(6)]
        if i % 25 == 0:
            picked.insert(0, f"Paragraph {i} of the Harbour Accord{variant} sets berth {i} aside for ferries.")
        paragraphs.append(" ".join(picked))
        size += len(paragraphs[-1]) + 2
        i += 1
    body = "\n\n".join(paragraphs)
    return f"---\ntitle: Harbour Accord\n---\n\nThe Harbour Accord was signed in Gdansk.\n\n{body}\n"


# One process: start (recovery runs first, as at any start), report what the index holds, then
# ingest a file, killed with SIGKILL at a chosen moment (the `after`+1-th call of the named
# operation) or not at all. The moments cover every stage of a replacement.
RESTART_CHECK_AND_INGEST = """
import json, os, signal, sys
from pathlib import Path
from retrieval.service import Services
from retrieval.settings import Settings

services = Services(Settings(_env_file=None, data_dir=Path(sys.argv[1])))
path, question, point, after = Path(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
store = services.store
live = services.index.documents()
answer = services.answer(question)
print(json.dumps({"live": [(d.key, d.chunks, len(store.chunks([d.key]))) for d in live],
                  "vector_keys": sorted(store.vector_keys()), "answer": answer.answer,
                  "passages": [p.doc_id for p in answer.passages],
                  "cited": [c.passage for c in answer.citations]}), flush=True)
if point != "none":
    owner, name = {
        "embedding": (services.embedder(), "embed_array"),  # before anything is written
        "sentences": (store._sentences, "add"),             # passages written, sentences half
        "commit": (store, "put_records"),                   # 1st call: the pending record; 2nd: the commit
        "cleanup": (store._chunks, "delete"),               # committed; the old version half deleted
    }[point]
    real, calls = getattr(owner, name), []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    setattr(owner, name, dying)
print(json.dumps({"status": services.index.ingest_path(path).status}), flush=True)
"""


def restart_check_and_ingest(data_dir, path, question: str, point: str = "none", after: int = 0):
    """What a fresh process finds in the index, and how its ingest ended ("killed" or a status)."""
    _, env = cli(data_dir=data_dir)
    done = subprocess.run([sys.executable, "-c", RESTART_CHECK_AND_INGEST, str(data_dir), str(path), question,
                           point, str(after)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr[-3000:]
    if done.returncode == -signal.SIGKILL:
        return lines[0], "killed"
    assert done.returncode == 0 and len(lines) == 2, done.stderr[-3000:]
    return lines[0], lines[1]["status"]


@pytest.mark.large  # about 75 s: run by `make bench`
def test_sigkill_at_every_stage_of_a_1_5_mb_replacement_leaves_one_whole_version(tmp_path):
    data_dir = tmp_path / "var"
    doc = tmp_path / "harbour.md"
    question = "Which berth is set aside for ferries in paragraph 75?"
    doc.write_text("---\ntitle: Harbour Accord\n---\n\nThe Harbour Accord was signed in Gdansk.\n", encoding="utf-8")
    _, status = restart_check_and_ingest(data_dir, doc, question)
    assert status == "new"

    doc.write_text(big_version(1_500_000), encoding="utf-8")
    old = None
    for point, after in [("embedding", 0), ("sentences", 10), ("commit", 1)]:
        found, status = restart_check_and_ingest(data_dir, doc, question, point, after)
        assert status == "killed", point
        old = old or found
        assert found == old, point  # still the old version, whole, after every earlier kill
    [(old_key, old_chunks, stored)] = old["live"]
    assert old_chunks == stored == 1 and old["vector_keys"] == [old_key]

    found, status = restart_check_and_ingest(data_dir, doc, question)  # re-running completes it
    assert found == old and status == "replaced"
    expected_chunks = len(chunk_document(load_path(doc)))

    doc.write_text(big_version(1_500_000, variant=" (revised)"), encoding="utf-8")
    found, status = restart_check_and_ingest(data_dir, doc, question, "cleanup", 0)  # committed, old half gone
    [(new_key, chunks, stored)] = found["live"]  # what the re-run left: the new version, whole
    assert chunks == stored == expected_chunks > 1000
    assert found["vector_keys"] == [new_key] and "berth 75" in found["answer"]
    assert status == "killed"
    found, status = restart_check_and_ingest(data_dir, doc, question)
    [(revised_key, chunks, stored)] = found["live"]
    assert revised_key != new_key and chunks == stored == len(chunk_document(load_path(doc)))  # the new one, whole
    assert found["vector_keys"] == [revised_key]  # recovery removed what was left of the old one
    assert "revised" in found["cited"][0]
    assert status == "unchanged"


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
