"""The machine interface (`python -m retrieval ...`), run as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT


def run(args, data_dir, stdin: str | None = None, timeout: float = 180):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "WARNING"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "retrieval", "--data-dir", str(data_dir), *args],
        input=stdin, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout,
    )


def test_ask_json_stream_yields_one_line_per_input_line(corpus_dir, tmp_path):
    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)
    lines = [
        "Which technology areas did Ishiba and Lee discuss?",
        json.dumps({"question": "And his South Korean counterpart?",
                    "history": ["Who is the Japanese prime minister mentioned in the commentary?"]}),
        "{not json",
        "   ",
        json.dumps({"question": 42}),
        "How do I bake sourdough bread?",
    ]
    result = run(["ask", "--json"], data_dir, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    first = out[0]
    assert set(first) >= {"answer", "abstained", "citations", "passages"}
    assert not first["abstained"] and "hydrogen" in first["answer"].lower()
    for c in first["citations"]:
        assert set(c) >= {"n", "doc_id", "title", "publisher", "date", "section", "quote", "passage"}
        assert c["quote"].split(" … ")[0] in c["passage"]
    assert "Lee Jae Myung" in out[1]["answer"]
    assert "malformed JSON" in out[2]["error"]
    assert out[3]["error"] and out[3]["abstained"]
    assert "question" in out[4]["error"]
    assert out[5]["abstained"] and "error" not in out[5]


def test_ingest_docs_remove_round_trip(tmp_path):
    data_dir = tmp_path / "var"
    doc = tmp_path / "pact.md"
    doc.write_text("---\ntitle: Quantum Sensing Pact\ndate: 2026-03-01\n---\n\n"
                   "The Quantum Sensing Pact was signed in Reykjavik by three research agencies.\n", encoding="utf-8")
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    ingest = run(["ingest", str(doc), str(bad)], data_dir)
    assert ingest.returncode == 1  # one file could not be indexed
    assert "new" in ingest.stdout and "Quantum Sensing Pact" in ingest.stdout
    assert "empty.txt" in ingest.stderr
    again = run(["ingest", str(doc)], data_dir)
    assert again.returncode == 0 and again.stdout.startswith("unchanged")
    docs = [json.loads(line) for line in run(["docs", "--json"], data_dir).stdout.splitlines()]
    assert [d["title"] for d in docs] == ["Quantum Sensing Pact"]
    after = subprocess.run([sys.executable, "-m", "retrieval", "docs", "--json", "--data-dir", str(data_dir)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert [json.loads(line)["title"] for line in after.stdout.splitlines()] == ["Quantum Sensing Pact"]
    removed = run(["remove", docs[0]["doc_id"]], data_dir)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert run(["docs", "--json"], data_dir).stdout.strip() == ""
    missing = run(["remove", "nope"], data_dir)
    assert missing.returncode == 2 and "no such document" in missing.stderr


def test_ask_in_llm_mode_uses_the_model_and_cites_what_holds(corpus_dir, tmp_path):
    from tests.openai_fake import OpenAIFake
    from tests.test_generation import cite_passage_with

    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)
    with OpenAIFake() as llm:
        llm.always(cite_passage_with("hydrogen"))
        os.environ["OPENAI_BASE_URL"] = llm.base_url
        try:
            done = run(["ask", "--mode", "llm", "--json", "Which technologies did Lee and Ishiba discuss?"], data_dir)
        finally:
            del os.environ["OPENAI_BASE_URL"]
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["generated"] and answer["citations"] and len(llm.requests) == 1
    assert all(c["quote"] in c["passage"] for c in answer["citations"])


def test_multilingual_vectors_from_the_command_line_serve_another_process(tmp_path):
    from tests.test_multilingual import PACT, QUESTION

    data_dir = tmp_path / "var"
    doc = tmp_path / "kelp.md"
    doc.write_text(PACT, encoding="utf-8")
    done = run(["ingest", "--multilingual", str(doc)], data_dir)
    assert done.returncode == 0 and "1 documents prepared, 0 left" in done.stdout
    answer = json.loads(run(["ask", "--json", QUESTION], data_dir).stdout)  # a later process sees them
    assert "Jeju" in answer["answer"] and answer["citations"][0]["title"] == "Kelp Farming Compact"
    again = run(["multilingual"], data_dir)
    assert again.returncode == 0 and "0 documents prepared, 0 left" in again.stdout
