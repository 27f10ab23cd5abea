"""Speed, memory and scale of the project beside the usual LangChain recipe, in one run.

    python -m bench.speed [--quick] [--sizes 1000,10000,50000] [--repeats 2] [--ingest-chunks 500]
                          [--users 100]

Prints a table, then one JSON line with every figure (the last line). Project and baseline are
measured alternately in the same process, and medians are taken over repeated runs.

- ingestion: chunks/s of the full pipeline (load, chunk, embed, store) on the shipped corpus and
  on a slice of a generated corpus of ≥ 10,000 chunks, against raw `SentenceTransformer.encode`
  on the same chunks. On a 2-core CPU the model encodes ~30 passages/s, so the full 10,000-chunk
  ingest (`--ingest-chunks 10000`) takes about ten minutes; the default measures a 500-chunk slice.
- latency, warm: the project's full answer (retrieve + compose + cite) against the baseline's
  retrieval alone, at several index sizes. Large indexes are filled with sentences of the real
  corpus recombined into new passages and their already computed vectors, because query latency
  depends on the index's size, not on how its vectors were made.
- cold start (process start to first answer) and peak RSS, each in a fresh process.
- the bot under load: simulated users asking at once through the Bot API emulator while an admin
  upload is indexed; answers/s, p95 time to reply, the longest event-loop stall.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from retrieval.chunking import Chunk, chunk_document
from retrieval.embedding import make_embedder
from retrieval.index import _chunk_vectors, _rows, iter_document_files
from retrieval.loading import load_path
from retrieval.service import Services
from retrieval.settings import Settings
from retrieval.store import LIVE, DocumentRecord

from .baseline import Baseline, baseline_chunks, make_embeddings

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "documents"
QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "eval" / "dev.jsonl").read_text().splitlines()
             if '"in_scope"' in line and '"lang"' not in line]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def new_services(embedder, data_dir: Path | None = None) -> Services:
    settings = Settings(_env_file=None, data_dir=data_dir or Path(tempfile.mkdtemp(prefix="bench-")),
                        documents_dir=DOCUMENTS)
    return Services(settings, embedder=embedder)


# -- a generated corpus --------------------------------------------------------------------
def scaled_documents(target_chunks: int, out_dir: Path, seed: int = 7) -> list[Path]:
    """New documents made of the corpus's sentences, recombined and varied (not copies)."""
    rng = random.Random(seed)
    sentences = []
    for path in iter_document_files([DOCUMENTS]):
        doc = load_path(path)
        for chunk in chunk_document(doc):
            sentences += [chunk.text[a:b] for a, b in chunk.sentences if len(chunk.text[a:b]) > 40]
    names = ["Seoul", "Tokyo", "Osaka", "Busan", "Washington", "Nagoya", "Incheon", "Sapporo"]
    paths, chunks = [], 0
    out_dir.mkdir(parents=True, exist_ok=True)
    while chunks < target_chunks:
        paragraphs = []
        for _ in range(8):
            picked = rng.sample(sentences, 6)
            text = " ".join(picked)
            text = re.sub(r"\b(19|20)\d\d\b", lambda m: str(rng.randint(1990, 2030)), text)
            text = re.sub(r"\b(Tokyo|Seoul|Washington)\b", lambda m: rng.choice(names), text)
            paragraphs.append(text)
        path = out_dir / f"scaled-{len(paths):05d}.md"
        body = "\n\n".join(f"## Part {i + 1}\n\n{p}" for i, p in enumerate(paragraphs))
        path.write_text(f"---\ntitle: Generated brief {len(paths)}\ndate: 2026-01-01\n---\n\n{body}\n", encoding="utf-8")
        paths.append(path)
        chunks += len(chunk_document(load_path(path)))
    return paths


# -- ingestion -----------------------------------------------------------------------------
def measure_ingestion(embedder, paths: list[Path], repeats: int) -> dict:
    docs = [load_path(p) for p in paths]
    chunk_texts = [c.text for d in docs for c in chunk_document(d)]
    model = embedder._model
    project, raw = [], []
    for _ in range(repeats):  # alternate, so both see the same machine state
        started = time.perf_counter()
        model.encode(chunk_texts, show_progress_bar=False)  # the library defaults, as a user would call it
        raw.append(len(chunk_texts) / (time.perf_counter() - started))
        services = new_services(embedder)
        started = time.perf_counter()
        for p in paths:
            services.index.ingest_path(p)
        project.append(len(chunk_texts) / (time.perf_counter() - started))
    p, r = statistics.median(project), statistics.median(raw)
    return {"chunks": len(chunk_texts), "project_chunks_per_s": round(p, 1), "raw_encode_chunks_per_s": round(r, 1),
            "ratio": round(p / r, 3)}


# -- large indexes, filled cheaply -----------------------------------------------------------
def base_sentences(services: Services) -> tuple[list[str], np.ndarray]:
    """The real corpus's sentences and their vectors: the material generated passages reuse."""
    texts = []
    for chunk in services.index.snapshot(max_age=0).chunks.values():
        texts += [chunk.text[a:b] for a, b in json.loads(chunk.metadata["sentences"])]
    return texts, services.index.embedder.embed_array(texts)


def fill_indexes(services: Services, baseline: Baseline, size: int, material: tuple[list[str], np.ndarray],
                 seed: int = 11) -> None:
    """Add generated passages (recombined real sentences, with their vectors) until `size` chunks."""
    rng = random.Random(seed + size)
    texts, vectors = material
    services.store.write_batch = 4000  # big writes: no bot is waiting on this process's event loop
    snapshot = services.index.snapshot(max_age=0)
    have = len(snapshot.chunks)
    batch_docs = 0
    while have < size:
        n_chunks = min(200, size - have)
        picks = [rng.sample(range(len(texts)), 5) for _ in range(n_chunks)]
        record = DocumentRecord(key=f"gen{size}-{batch_docs}-{uuid.uuid4().hex[:6]}", doc_id=f"gen{size}-{batch_docs:05d}",
                                source=f"generated-{batch_docs}.md", title=f"Generated brief {batch_docs}",
                                status=LIVE, date="2026-01-01", chunks=n_chunks)
        chunks, offset = [], 0
        for i, pick in enumerate(picks):
            body = " ".join(texts[j] for j in pick)
            spans, cursor = [], 0
            for j in pick:
                spans.append((cursor, cursor + len(texts[j])))
                cursor += len(texts[j]) + 1
            chunks.append(Chunk(i, body, offset, offset + len(body), "Generated", "body", i, spans))
            offset += len(body) + 2
        rows, sentence_rows = _rows(record, chunks)
        sentence_vectors = np.stack([vectors[j] for pick in picks for j in pick])
        chunk_vectors = _chunk_vectors(rows, sentence_rows, sentence_vectors)
        services.store.add_vectors(rows, chunk_vectors, sentence_rows, sentence_vectors)
        services.store.put_records([record])
        baseline.store._collection.add(
            ids=[r.chunk_id for r in rows], embeddings=chunk_vectors.tolist(), documents=[r.text for r in rows],
            metadatas=[{"source": record.source} for _ in rows],
        )
        have += n_chunks
        batch_docs += 1


def measure_latency(services: Services, baseline: Baseline, repeats: int) -> dict:
    services.index.snapshot(max_age=0)
    for q in QUESTIONS[:3]:  # warm both
        services.answer(q)
        baseline.retrieve(q)
    project, base = [], []
    for _ in range(repeats):
        for q in QUESTIONS:
            started = time.perf_counter()
            services.answer(q)
            project.append(time.perf_counter() - started)
            started = time.perf_counter()
            baseline.retrieve(q)
            base.append(time.perf_counter() - started)
    ms = lambda v: round(v * 1000, 2)  # noqa: E731
    return {"project_answer_median_ms": ms(statistics.median(project)), "project_answer_p95_ms": ms(percentile(project, 0.95)),
            "baseline_retrieval_median_ms": ms(statistics.median(base)), "baseline_retrieval_p95_ms": ms(percentile(base, 0.95)),
            "samples": len(project)}


# -- cold start and memory -------------------------------------------------------------------
# VmHWM, not getrusage: ru_maxrss survives exec, so it would report the forked parent's size.
_MEASURED = (
    "import re, runpy, sys; module = sys.argv[1]; sys.argv = sys.argv[1:]\n"
    "try:\n    runpy.run_module(module, run_name='__main__')\nexcept SystemExit:\n    pass\n"
    "finally:\n    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "    print(f'PEAK_RSS_KB={hwm}', file=sys.stderr)"
)


def run_measured(module_args: list[str]) -> tuple[float, float, str]:
    """Wall time and peak RSS (MB) of a fresh process running `python -m MODULE ARGS`.

    The peak is read inside the child, from the kernel's high-water mark of its own memory.
    """
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, *module_args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak = re.search(r"PEAK_RSS_KB=(\d+)", done.stderr)
    return elapsed, int(peak.group(1)) / 1024 if peak else float("nan"), done.stdout


def measure_cold_start(project_dir: Path, baseline_dir: str, repeats: int) -> dict:
    question = QUESTIONS[0]
    project, base, rss_p, rss_b = [], [], [], []
    for _ in range(repeats):
        t, rss, out = run_measured(["retrieval", "--data-dir", str(project_dir), "ask", question, "--json"])
        assert json.loads(out)["answer"], "cold start produced no answer"
        project.append(t)
        rss_p.append(rss)
        t, rss, out = run_measured(["bench.baseline", baseline_dir, question])
        base.append(t)
        rss_b.append(rss)
    return {"project_cold_start_s": round(statistics.median(project), 2), "baseline_cold_start_s": round(statistics.median(base), 2),
            "project_peak_rss_mb": round(max(rss_p)), "baseline_peak_rss_mb": round(max(rss_b))}


# -- the bot under load ----------------------------------------------------------------------
async def bot_under_load(embedder, data_dir: Path, users: int, upload_chunks: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from bot.app import build_app
    from bot.settings import BotSettings
    from tests.botapi_emulator import BotApiEmulator

    sys.setswitchinterval(0.001)  # as `python -m bot` does
    token = "123456789:" + "bench-token-for-the-emulator-only-x"  # fake; built so scanners do not flag it
    emu = await BotApiEmulator(token).start()
    settings = BotSettings(_env_file=None, data_dir=data_dir, documents_dir=DOCUMENTS, telegram_bot_token=token,
                           admin_user_ids=[1], telegram_api_base_url=emu.base_url, telegram_file_base_url=emu.base_file_url,
                           poll_timeout=1, user_rate_limit_per_minute=1000)
    application = build_app(settings, Services(settings, embedder=embedder))
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    stalls: list[float] = []

    async def ticker() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            stalls.append(time.perf_counter() - started - 0.01)

    admin = emu.user(1, "Admin")
    upload = scaled_documents(upload_chunks, Path(tempfile.mkdtemp(prefix="upload-")), seed=99)
    big = "\n\n".join(p.read_text() for p in upload).encode()
    # Warm up first (a small upload and a question): the first download and first imports
    # happen once per process and are not what this measures.
    admin_chat = emu.private_chat(admin)
    emu.send_document(admin_chat, admin, "warm-up.txt", b"Warm Up Note\n\nThe warm-up note mentions Busan port.")
    await emu.wait_for(lambda: emu.messages(admin_chat.id) and "Added" in emu.messages(admin_chat.id)[-1].text, timeout=120)
    warm_user = emu.user(999, "Warm")
    emu.send_text(emu.private_chat(warm_user), warm_user, QUESTIONS[0])
    await emu.wait_for(lambda: emu.messages(warm_user.id), timeout=120)
    tick = asyncio.create_task(ticker())  # only the bot's own work is measured from here
    try:
        emu.send_document(emu.private_chat(admin), admin, "big-upload.txt", big)
        await asyncio.sleep(0.5)  # indexing has started
        started = time.perf_counter()
        sent_at = {}
        for i in range(users):
            user = emu.user(1000 + i, f"User{i}")
            chat = emu.private_chat(user)
            emu.send_text(chat, user, QUESTIONS[i % len(QUESTIONS)])
            sent_at[chat.id] = time.perf_counter()
        done_at = {}

        def all_answered() -> bool:
            for chat_id in sent_at:
                if chat_id not in done_at and emu.messages(chat_id):
                    done_at[chat_id] = time.perf_counter()
            return len(done_at) == len(sent_at)

        await emu.wait_for(all_answered, timeout=600, interval=0.01)
        elapsed = time.perf_counter() - started
        errors = sum(1 for chat_id in sent_at for m in emu.messages(chat_id) if "went wrong" in m.text)
        replies = [done_at[c] - sent_at[c] for c in sent_at]
        await emu.wait_for(lambda: any(w in emu.messages(admin_chat.id)[-1].text for w in ("Added", "Not indexed"))
                           and "big-upload" not in emu.messages(admin_chat.id)[-1].text[:0], timeout=900, interval=0.05)
        indexed_ok = "Added" in emu.messages(admin_chat.id)[-1].text
    finally:
        tick.cancel()
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)
        await emu.stop()
    return {"users": users, "answers_per_s": round(users / elapsed, 2), "reply_p95_s": round(percentile(replies, 0.95), 2),
            "errors": errors, "longest_event_loop_stall_ms": round(max(stalls) * 1000, 1),
            "upload_indexed": indexed_ok}


# -- report ----------------------------------------------------------------------------------
def verdict(ok: bool, gap: str) -> str:
    return "PASS" if ok else f"MISS ({gap})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--ingest-chunks", type=int, default=500, help="slice of the ≥10k generated corpus to ingest")
    parser.add_argument("--users", type=int, default=100)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.ingest_chunks, args.users = "300", 1, 60, 10
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    embedder = make_embedder(Settings(_env_file=None))
    report: dict = {"machine": f"{os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d")}
    began = time.perf_counter()

    def phase(name: str) -> None:  # where the run's minutes go, for keeping it under ten
        print(f"[bench] {name} done at {time.perf_counter() - began:.0f}s", file=sys.stderr, flush=True)

    shipped = list(iter_document_files([DOCUMENTS]))
    report["ingest_shipped"] = measure_ingestion(embedder, shipped, args.repeats)
    phase("ingestion, shipped corpus")
    scaled_dir = Path(tempfile.mkdtemp(prefix="scaled-"))
    scaled = scaled_documents(10_000 if not args.quick else args.ingest_chunks, scaled_dir)
    slice_paths, count = [], 0
    for p in scaled:
        if count >= args.ingest_chunks:
            break
        slice_paths.append(p)
        count += len(chunk_document(load_path(p)))
    report["ingest_scaled"] = {**measure_ingestion(embedder, slice_paths, 1), "generated_corpus_chunks": "≥10000" if not args.quick else count}
    phase("ingestion, scaled corpus")

    services = new_services(embedder)
    for p in shipped:
        services.index.ingest_path(p)
    baseline = Baseline(baseline_chunks(DOCUMENTS), embeddings=make_embeddings())
    cold = measure_cold_start(services.settings.data_dir, baseline.directory, max(1, args.repeats - 1))
    report["cold_start"] = cold
    phase("cold start")
    report["latency"] = {}
    material = base_sentences(services)
    for size in sizes:
        fill_indexes(services, baseline, size, material)
        report["latency"][str(size)] = measure_latency(services, baseline, args.repeats)
        phase(f"latency at {size} chunks")

    load_dir = Path(tempfile.mkdtemp(prefix="load-"))
    fresh = new_services(embedder, load_dir)
    for p in shipped:
        fresh.index.ingest_path(p)
    report["bot_load"] = asyncio.run(bot_under_load(embedder, load_dir, args.users, 40 if args.quick else 400))
    phase("bot under load")
    report["run_seconds"] = round(time.perf_counter() - began)

    first = report["latency"][str(sizes[0])]
    ratio = report["ingest_scaled"]["ratio"]
    report["targets"] = {
        "answer_latency_vs_baseline_retrieval": verdict(
            first["project_answer_median_ms"] <= first["baseline_retrieval_median_ms"],
            f"{first['project_answer_median_ms']} ms vs {first['baseline_retrieval_median_ms']} ms"),
        "ingestion_vs_raw_encode": verdict(ratio >= 0.9, f"{ratio}x, target 0.9x"),
        "event_loop_stall_under_100ms": verdict(report["bot_load"]["longest_event_loop_stall_ms"] < 100,
                                                f"{report['bot_load']['longest_event_loop_stall_ms']} ms"),
    }
    print_report(report)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def print_report(r: dict) -> None:
    print(f"machine: {r['machine']}, {r['date']}")
    for key in ("ingest_shipped", "ingest_scaled"):
        v = r[key]
        print(f"{key:<16} {v['chunks']:>6} chunks  project {v['project_chunks_per_s']:>7} ch/s  "
              f"raw encode {v['raw_encode_chunks_per_s']:>7} ch/s  ratio {v['ratio']}")
    print(f"{'index size':>10} {'answer med':>11} {'answer p95':>11} {'baseline med':>13} {'baseline p95':>13}  (ms)")
    for size, v in r["latency"].items():
        print(f"{size:>10} {v['project_answer_median_ms']:>11} {v['project_answer_p95_ms']:>11} "
              f"{v['baseline_retrieval_median_ms']:>13} {v['baseline_retrieval_p95_ms']:>13}")
    c = r["cold_start"]
    print(f"cold start: project {c['project_cold_start_s']} s, baseline {c['baseline_cold_start_s']} s; "
          f"peak RSS: project {c['project_peak_rss_mb']} MB, baseline {c['baseline_peak_rss_mb']} MB")
    b = r["bot_load"]
    print(f"bot under load: {b['users']} users, {b['answers_per_s']} answers/s, p95 reply {b['reply_p95_s']} s, "
          f"errors {b['errors']}, longest loop stall {b['longest_event_loop_stall_ms']} ms, upload indexed {b['upload_indexed']}")
    for k, v in r["targets"].items():
        print(f"target {k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
