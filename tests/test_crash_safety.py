"""SIGKILL in the middle of indexing: after a restart the index holds the old state, whole."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

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
