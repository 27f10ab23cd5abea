"""Speed, memory and scale of the project beside the usual LangChain recipe, in one run.

    python -m bench.speed [--quick | --full] [--sizes 1000,10000] [--repeats 2] [--users 100]
                          [--documents 0.4,1.6,5] [--pdf-pages 300] [--small 1000]

Prints a table, then one JSON line with every figure (the last line). Project and baseline are
measured alternately in the same run, and medians are taken over repeated runs.

- ingestion, whole processes: `python -m retrieval ingest FILE` beside the recipe's own
  process (`python -m bench.baseline ingest`: load, RecursiveCharacterTextSplitter 1000/200,
  HuggingFaceEmbeddings, Chroma) on single long documents (0.4, 1.6 and 5 MB of text, and a
  generated 300-page PDF) and on 1,000 small documents: seconds including model load, passages
  per second and peak RSS, each run in a fresh process. The same document's sentences are also
  encoded in one plain `encode` call, the encoder's best case, for the throughput ratio.
  By default the 5 MB document and the PDF are ingested by the project only (the recipe's side
  of them adds ~6 minutes here and is run with `--full`), so that the whole run stays near ten
  minutes.
- ingestion, in process: passages/s of the full pipeline on the shipped corpus against raw
  `SentenceTransformer.encode` of the same passages.
- latency, warm: the project's full answer (retrieve + compose + cite) against the baseline's
  retrieval alone, at several index sizes. Large indexes are filled with sentences of the real
  corpus recombined into new passages and their already computed vectors, because query latency
  depends on the index's size, not on how its vectors were made. Filling costs ~10 ms a passage
  here (Chroma writes), so 50,000 passages are measured with `--full` (or `--sizes`).
- cold start (process start to first answer) and peak RSS, each in a fresh process.
- the bot under load: simulated users asking at once through the Bot API emulator while an admin
  upload is indexed (and the bot computes multilingual vectors in the background); answers/s,
  p95 time to reply, the longest event-loop stall, and the upload's progress edits.
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
from .corpus import long_text, pdf_report, small_documents

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


# -- ingestion -----------------------------------------------------------------------------
def measure_ingestion(embedder, paths: list[Path], repeats: int) -> dict:
    """In process: passages/s of the whole pipeline against raw `encode` of the same passages."""
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


def ingest_in_fresh_processes(paths: list[Path], work: Path, recipe: bool = True) -> dict:
    """Whole-process `ingest` of the project and of the recipe: seconds (model load included),
    passages, passages/s and peak RSS, each in a fresh process."""
    files = iter_document_files(paths)
    row: dict = {"documents": len(files), "text_mb": round(sum(len(load_path(p).text) for p in files) / 1e6, 2)}
    data_dir = Path(tempfile.mkdtemp(prefix="project-", dir=work))
    seconds, rss, out = run_measured(["retrieval", "--data-dir", str(data_dir), "ingest", *map(str, paths)])
    passages = sum(int(n) for n in re.findall(r"— (\d+) chunks", out))
    row.update(project_s=round(seconds, 1), project_passages=passages,
               project_passages_per_s=round(passages / seconds, 1), project_peak_rss_mb=round(rss))
    if recipe:
        seconds, rss, out = run_measured(["bench.baseline", "ingest", tempfile.mkdtemp(prefix="recipe-", dir=work),
                                          *map(str, paths)])
        chunks = json.loads(out.strip().splitlines()[-1])["chunks"]
        row.update(recipe_s=round(seconds, 1), recipe_chunks=chunks, recipe_chunks_per_s=round(chunks / seconds, 1),
                   recipe_peak_rss_mb=round(rss), time_ratio=round(row["project_s"] / seconds, 2))
    return row


def raw_encode_seconds(embedder, path: Path) -> dict:
    """The encoder's best case on a document: all its distinct sentences in one `encode` call."""
    doc = load_path(path)
    sentences = list(dict.fromkeys(c.text[a:b] for c in chunk_document(doc) for a, b in c.sentences))
    started = time.perf_counter()
    embedder._model.encode(sentences, batch_size=embedder.batch_size, show_progress_bar=False)
    seconds = time.perf_counter() - started
    return {"sentences": len(sentences), "raw_encode_s": round(seconds, 1),
            "raw_encode_sentences_per_s": round(len(sentences) / seconds, 1)}


def measure_documents(embedder, sizes_mb: list[float], pdf_pages: int, small: int, full: bool) -> dict:
    """Whole-process ingests. The recipe runs beside the project on every text up to 1.6 MB and
    on the small documents; on the 5 MB text and the PDF only with `full` (together ~6 minutes
    more here, which would take the default run past ten)."""
    work = Path(tempfile.mkdtemp(prefix="bench-docs-"))
    results: dict = {}
    for size in sizes_mb:
        path = work / f"report-{size:g}mb.txt"
        path.write_text(long_text(int(size * 1_000_000), seed=int(size * 10)), encoding="utf-8")
        results[f"text_{size:g}mb"] = row = ingest_in_fresh_processes([path], work, recipe=full or size <= 1.6)
        if size == sizes_mb[0]:  # the encoder's best case, on the smallest (the rate does not depend on size)
            row.update(raw_encode_seconds(embedder, path))
        print(f"[bench] {size:g} MB: {row}", file=sys.stderr, flush=True)
    if pdf_pages:
        path = work / f"report-{pdf_pages}-pages.pdf"
        path.write_bytes(pdf_report(pdf_pages))
        results[f"pdf_{pdf_pages}_pages"] = ingest_in_fresh_processes([path], work, recipe=full)
        print(f"[bench] PDF: {results[f'pdf_{pdf_pages}_pages']}", file=sys.stderr, flush=True)
    if small:
        folder = work / "small"
        small_documents(small, folder)
        results[f"small_{small}"] = ingest_in_fresh_processes([folder], work)
        print(f"[bench] small documents: {results[f'small_{small}']}", file=sys.stderr, flush=True)
    texts = {k: v for k, v in results.items() if k.startswith("text_")}
    if "text_0.4mb" in texts and "text_1.6mb" in texts:
        results["scaling_1.6_vs_0.4"] = round(texts["text_1.6mb"]["project_s"] / texts["text_0.4mb"]["project_s"], 2)
    return results


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
    "import re, runpy, sys; module = sys.argv[1]; sys.argv = sys.argv[1:]; code = 0\n"
    "try:\n    runpy.run_module(module, run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
    "finally:\n    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
    "    print(f'PEAK_RSS_KB={hwm}', file=sys.stderr)\n"
    "sys.exit(code)"
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
    if done.returncode != 0:
        raise RuntimeError(f"python -m {' '.join(module_args)} failed: {done.stderr[-3000:]}")
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
        t, rss, out = run_measured(["bench.baseline", "ask", baseline_dir, question])
        base.append(t)
        rss_b.append(rss)
    return {"project_cold_start_s": round(statistics.median(project), 2), "baseline_cold_start_s": round(statistics.median(base), 2),
            "project_peak_rss_mb": round(max(rss_p)), "baseline_peak_rss_mb": round(max(rss_b))}


# -- the bot under load ----------------------------------------------------------------------
async def bot_under_load(embedder, data_dir: Path, users: int, upload_chars: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from bot.app import build_app
    from bot.settings import BotSettings
    from tests.botapi_emulator import BotApiEmulator, parse_html

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
    big = long_text(upload_chars, seed=99, title="Big Upload").encode()
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
        status = emu.messages(admin_chat.id)[-1]
        indexed_ok = "Added" in status.text
        progress_edits = [parse_html(e) for e in status.edits if "%" in e]
    finally:
        tick.cancel()
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)
        await emu.stop()
    return {"users": users, "answers_per_s": round(users / elapsed, 2), "reply_p95_s": round(percentile(replies, 0.95), 2),
            "errors": errors, "longest_event_loop_stall_ms": round(max(stalls) * 1000, 1),
            "upload_indexed": indexed_ok, "upload_progress_edits": len(progress_edits),
            "upload_progress_example": progress_edits[len(progress_edits) // 2] if progress_edits else ""}


# -- report ----------------------------------------------------------------------------------
def verdict(ok: bool, gap: str) -> str:
    return "PASS" if ok else f"MISS ({gap})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (about a minute)")
    parser.add_argument("--full", action="store_true",
                        help="also the recipe on the 5 MB document and latency at 50,000 passages (~20 min here)")
    parser.add_argument("--sizes", default=None, help="index sizes for latency (default 1000; --full: 1000,10000,50000)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--documents", default="0.4,1.6,5", help="single documents, MB of text each")
    parser.add_argument("--pdf-pages", type=int, default=300)
    parser.add_argument("--small", type=int, default=1000, help="how many small documents to ingest at once")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.users = args.sizes or "300", 1, 10
        args.documents, args.pdf_pages, args.small = "0.1", 5, 20
        args.full = True  # small enough for the recipe's side of everything
    sizes = [int(s) for s in (args.sizes or ("1000,10000,50000" if args.full else "1000")).split(",")]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    embedder = make_embedder(Settings(_env_file=None))
    report: dict = {"machine": f"{os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d")}
    began = time.perf_counter()

    def phase(name: str) -> None:  # where the run's minutes go, for keeping it under ten
        print(f"[bench] {name} done at {time.perf_counter() - began:.0f}s", file=sys.stderr, flush=True)

    report["documents"] = measure_documents(embedder, [float(x) for x in args.documents.split(",")],
                                            args.pdf_pages, args.small, args.full)
    phase("ingestion, single documents and many small ones")
    shipped = list(iter_document_files([DOCUMENTS]))
    report["ingest_shipped"] = measure_ingestion(embedder, shipped, 1 if not args.full else args.repeats)
    phase("ingestion, shipped corpus")

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
    report["bot_load"] = asyncio.run(bot_under_load(embedder, load_dir, args.users, 40_000 if args.quick else 450_000))
    phase("bot under load")
    report["run_seconds"] = round(time.perf_counter() - began)
    report["targets"] = targets(report, sizes)
    print_report(report)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def targets(report: dict, sizes: list[int]) -> dict:
    first = report["latency"][str(sizes[0])]
    ratio = report["ingest_shipped"]["ratio"]
    stall = report["bot_load"]["longest_event_loop_stall_ms"]
    found = {
        "answer_latency_vs_baseline_retrieval": verdict(
            first["project_answer_median_ms"] <= first["baseline_retrieval_median_ms"],
            f"{first['project_answer_median_ms']} ms vs {first['baseline_retrieval_median_ms']} ms"),
        "ingestion_vs_raw_encode": verdict(ratio >= 0.9, f"{ratio}x, target 0.9x"),
        "event_loop_stall_under_100ms": verdict(stall < 100, f"{stall} ms"),
    }
    docs = report["documents"]
    if "time_ratio" in docs.get("text_1.6mb", {}):
        r = docs["text_1.6mb"]["time_ratio"]
        found["ingest_1.6mb_within_1.5x_recipe"] = verdict(r <= 1.5, f"{r}x")
    if "scaling_1.6_vs_0.4" in docs:
        r = docs["scaling_1.6_vs_0.4"]
        found["ingest_1.6mb_within_4.8x_0.4mb"] = verdict(r <= 4.8, f"{r}x")
    if "text_5mb" in docs:
        rss = docs["text_5mb"]["project_peak_rss_mb"]
        found["ingest_5mb_peak_rss_under_1.2gb"] = verdict(rss <= 1200, f"{rss} MB")
    return found


def print_report(r: dict) -> None:
    print(f"machine: {r['machine']}, {r['date']}")
    print(f"{'ingest (whole process)':<24} {'MB':>5} {'project s':>10} {'passages':>9} {'/s':>6} {'RSS MB':>7}"
          f" {'recipe s':>9} {'chunks':>7} {'/s':>6} {'RSS MB':>7} {'ratio':>6}")
    for name, v in r["documents"].items():
        if not isinstance(v, dict):
            continue
        recipe = (f" {v['recipe_s']:>9} {v['recipe_chunks']:>7} {v['recipe_chunks_per_s']:>6} {v['recipe_peak_rss_mb']:>7}"
                  f" {v['time_ratio']:>6}" if "recipe_s" in v else "")
        print(f"{name:<24} {v['text_mb']:>5} {v['project_s']:>10} {v['project_passages']:>9} "
              f"{v['project_passages_per_s']:>6} {v['project_peak_rss_mb']:>7}{recipe}")
        if "raw_encode_s" in v:
            print(f"{'':<24} its {v['sentences']} distinct sentences in one encode call: {v['raw_encode_s']} s "
                  f"({v['raw_encode_sentences_per_s']}/s)")
    if "scaling_1.6_vs_0.4" in r["documents"]:
        print(f"1.6 MB took {r['documents']['scaling_1.6_vs_0.4']}x as long as 0.4 MB")
    v = r["ingest_shipped"]
    print(f"{'ingest_shipped':<16} {v['chunks']:>6} chunks  project {v['project_chunks_per_s']:>7} ch/s  "
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
          f"errors {b['errors']}, longest loop stall {b['longest_event_loop_stall_ms']} ms, upload indexed {b['upload_indexed']}, "
          f"{b['upload_progress_edits']} progress edits (e.g. “{b['upload_progress_example']}”)")
    print(f"whole run: {r['run_seconds']} s")
    for k, v in r["targets"].items():
        print(f"target {k}: {v}")


if __name__ == "__main__":
    sys.exit(main())
