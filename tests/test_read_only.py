"""A read-only DATA_DIR at start-up: answers keep coming from the existing index, changes are
refused with a message that says why, and nothing under DATA_DIR changes.

The volume is made read-only for real, with a read-only bind mount inside a private user and
mount namespace (`unshare -r -m`): chmod cannot do it when the suite runs as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _namespaces_available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-r", "-m", "sh", "-c", "mount --bind -o ro / /mnt 2>/dev/null || "
                            "mount --bind -o ro /tmp /tmp"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _namespaces_available(),
                                reason="needs `unshare -r -m` (unprivileged user namespaces) to mount read-only")


def read_only_cli(data_dir, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "WARNING"}
    script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "-r", "-m", "sh", "-c", script, "sh", str(data_dir),
         sys.executable, "-m", "retrieval", "--data-dir", str(data_dir), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )


def snapshot(directory) -> dict[str, int]:
    return {str(p.relative_to(directory)): p.stat().st_size for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_read_only_data_dir_still_answers_and_refuses_changes_clearly(corpus_dir, tmp_path):
    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)
    before = snapshot(data_dir)

    asked = read_only_cli(data_dir, "ask", "--json", "Which technology areas did Ishiba and Lee discuss?")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert "hydrogen" in answer["answer"] and answer["citations"]
    assert "cannot be written" in asked.stderr  # said once, in the log

    note = tmp_path / "note.txt"
    note.write_text("Kelp Memo\n\nThe kelp memo covers Jeju.", encoding="utf-8")
    for args in (["ingest", str(note)], ["remove", answer["citations"][0]["doc_id"]]):
        refused = read_only_cli(data_dir, *args)
        assert refused.returncode == 2 and "read-only" in refused.stderr and "DATA_DIR" in refused.stderr
    assert snapshot(data_dir) == before
