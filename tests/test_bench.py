"""Quick runs of `make eval` and `make bench`, so the benchmarks cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_module(*args: str) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_eval_reports_project_and_baseline():
    report = run_module("bench.eval", "--questions", "eval/test.jsonl")
    run = report["runs"][0]
    project, baseline = run["project"], run["baseline"]
    assert project["invalid_citations"] == 0 and project["crashes"] == 0
    assert project["trigger_refused"] == 0
    assert project["recall@5"] >= baseline["recall@5"]
    assert project["evidence_in_cited"] >= baseline["evidence_in_cited"]


@pytest.mark.large  # ~3 min: run by `make bench`, beside the full run it smoke-tests, to keep make test short
def test_speed_quick_run_prints_every_figure():
    report = run_module("bench.speed", "--quick")
    for key in ("documents", "ingest_shipped", "latency", "cold_start", "bot_load", "targets"):
        assert key in report
    documents = report["documents"]
    for name in ("text_0.1mb", "pdf_5_pages", "small_20"):  # whole processes, project beside the recipe
        row = documents[name]
        assert row["project_passages"] > 0 and row["recipe_chunks"] > 0, row
        assert row["project_peak_rss_mb"] > 0 and row["recipe_peak_rss_mb"] > 0
    assert documents["small_20"]["documents"] == 20 and documents["text_0.1mb"]["raw_encode_s"] > 0
    assert report["bot_load"]["errors"] == 0 and report["bot_load"]["upload_indexed"]
    assert report["cold_start"]["project_peak_rss_mb"] > 0
    assert all(v["samples"] > 0 for v in report["latency"].values())
