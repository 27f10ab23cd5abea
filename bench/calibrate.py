"""Set the answering core's thresholds on the calibration questions, and only on them.

    python -m bench.calibrate [--passes 3] [--dry-run]

The calibration questions are the calibration split of the shipped documents' questions
(eval/calibration.jsonl) and every question of the calibration-only corpora on other subjects
(eval/calibration-corpus*/), pooled: thresholds that fit one collection of documents only would
not serve an admin's own documents.

Retrieval runs once per question (which passages are candidates does not depend on the
thresholds). Then, in two stages:

1. The feature weights of the sentence score are learnt: a listwise ranking model (softmax over
   each question part's candidate sentences, L2-regularised) that makes the sentences holding
   the evidence rank first. The weights are scaled so that the similarity's weight is 1.
2. Each gate threshold in turn is set to the value of its grid that serves the objective best,
   the others held, for a few passes (coordinate descent). A value moves only when it improves
   the objective by a clear margin, so ties keep the earlier value and small samples do not push
   numbers around. The result, with its provenance and the calibration figures, is
written to retrieval/thresholds.json. The test split is never read here.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

import retrieval.answer as answer_module
import retrieval.evidence as evidence_module
from retrieval.answer import compose_extractive
from retrieval.embedding import make_embedder
from retrieval.evidence import FEATURES, weighted
from retrieval.hygiene import clean_question, question_language
from retrieval.intents import classify
from retrieval.settings import Settings
from retrieval.thresholds import PATH, THRESHOLDS, Thresholds

from .eval import ROOT, build_services, evaluate_project, load_questions, question_text, summarise

GRID: dict[str, list[float]] = {  # the gate (the feature weights are learnt, see learn_weights)
    "min_similarity": [0.36, 0.39, 0.42, 0.45, 0.48, 0.51, 0.55, 0.6],
    "min_overlap": [0.2, 0.25, 0.3, 0.34, 0.4, 0.45, 0.5, 0.6],
    "min_support": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "min_overlap_similarity": [0.0, 0.1, 0.15, 0.2, 0.25, 0.3],
    "min_topic": [0.15, 0.2, 0.25, 0.3, 0.35, 0.4],
    "unknown_term_weight": [0.15, 0.25, 0.35, 0.45, 0.6, 0.7, 0.8, 0.9, 1.01],
    "unknown_name_weight": [0.05, 0.1, 0.2, 0.3, 1.01],
    "typed_within": [0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 1.0],
    "min_focus": [0.0, 0.1, 0.2, 0.3, 0.4],
    "keep_within": [0.03, 0.06, 0.09, 0.12, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6],
    "dated_within": [0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0, 1.2],
    "redundant": [0.4, 0.5, 0.6, 0.7, 0.8],
    "crosslingual_min_passage": [0.775, 0.785, 0.795, 0.805, 0.815],
}
SETS = [(ROOT / "documents", ROOT / "eval" / "calibration.jsonl")] + [
    (folder / "documents", folder / "questions.jsonl") for folder in sorted((ROOT / "eval").glob("calibration-corpus*"))]
MIN_GAIN = 0.01  # a change must buy at least this much of the objective


def objective(s: dict) -> float:
    """The issue's targets, as one number: evidence cited, key facts, declines where the documents
    are silent, and a steep price for declining questions they answer."""
    def v(key: str) -> float:
        return s.get(key) or 0.0
    return (v("evidence_in_cited") + v("key_facts") + v("related_unstated_declined") + 0.5 * v("unrelated_declined")
            + 0.25 * v("time_aware_dated") - 3 * max(0.0, v("in_scope_declined") - 0.08)
            - 0.1 * (s.get("trigger_refused") or 0) - 0.5 * (s.get("invalid_citations") or 0))


class Replay:
    """Answers the calibration questions again from cached retrievals under trial thresholds."""

    def __init__(self, services, rows: list[dict]) -> None:
        self.services, self.rows = services, rows
        self.cached: dict[str, object] = {}
        assistant = services.assistant
        for row in rows:
            text = clean_question(question_text(row), services.settings.max_question_chars).text
            if text and classify(text) == "question" and not question_language(text):
                self.cached[row["id"]] = (text, assistant.retrieve(text, history=row["history"]))

    def run(self, t: Thresholds) -> list[dict]:
        evidence_module.T = answer_module.T = t
        import retrieval.crosslingual as crosslingual_module
        crosslingual_module.T = t
        try:
            for text, retrieval in self.cached.values():
                for c in retrieval.candidates:
                    c.scores = [weighted(f, t) for f in c.features]
                    c.part = max(range(len(c.scores)), key=c.scores.__getitem__)
                    c.score = c.scores[c.part]
            return evaluate_project(_Answering(self), self.rows)
        finally:
            evidence_module.T = answer_module.T = crosslingual_module.T = THRESHOLDS


class _Answering:
    """`answer(question, history)` like Services, from the cache where the question is cached."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.by_text = {(text, tuple(row["history"])): retrieval for row in replay.rows
                        if row["id"] in replay.cached for text, retrieval in [replay.cached[row["id"]]]}

    def answer(self, question: str, history=()):
        services = self.replay.services
        text = clean_question(question, services.settings.max_question_chars).text
        retrieval = self.by_text.get((text, tuple(history)))
        if retrieval is None:
            return services.answer(question, history)
        return compose_extractive(text, retrieval, services.settings.answer_max_sentences)


def ranking_examples(replays: list[Replay]) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each part of each in-scope question: its candidates' features, and which of them hold
    a piece of the evidence."""
    examples = []
    for replay in replays:
        rows = {r["id"]: r for r in replay.rows}
        for rid, (_, retrieval) in replay.cached.items():
            row = rows[rid]
            if row["kind"] != "in_scope" or not retrieval.candidates:
                continue
            ranked = [c for c in retrieval.candidates if c.label_for < 0]  # labels are found, not ranked
            for p in range(len(retrieval.question.parts)):
                x = np.array([[c.features[p][name] for name in FEATURES] for c in ranked])
                y = np.array([any(_holds_evidence(c.text, e) for e in row["evidence"]) for c in ranked])
                if y.any() and not y.all():
                    examples.append((x, y.astype(float)))
    return examples


def _holds_evidence(sentence: str, evidence: str) -> bool:
    return evidence in sentence or sentence in evidence or (
        len(set(sentence.split()) & set(evidence.split())) >= 0.6 * len(set(evidence.split())))


def learn_weights(examples: list[tuple[np.ndarray, np.ndarray]], l2: float = 0.01, steps: int = 3000) -> dict:
    """Listwise softmax ranking (each part: log-probability of its evidence sentences), by Adam."""
    w = np.zeros(len(FEATURES))
    w[FEATURES.index("similarity")] = 1.0
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        grad = 2 * l2 * w
        for x, y in examples:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            q = p * y / (p * y).sum()  # the model's belief, restricted to the evidence sentences
            grad += x.T @ (p - q) / len(examples)
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        w -= 0.05 * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    scale = w[FEATURES.index("similarity")]
    if scale <= 0:
        raise SystemExit("the learnt similarity weight is not positive: the calibration data disagree with the "
                         "model's premise; check the questions' evidence")
    return {f"w_{name}": round(float(value / scale), 3) for name, value in zip(FEATURES, w)}


def pooled(replays: list[Replay], t: Thresholds) -> dict:
    return summarise([r for replay in replays for r in replay.run(t)], [5])


def calibrate(replays: list[Replay], start: Thresholds, passes: int) -> tuple[Thresholds, dict]:
    current = start
    best_summary = pooled(replays, current)
    best = objective(best_summary)
    print(f"start: objective {best:.3f}", file=sys.stderr)
    for n in range(passes):
        moved = False
        for name, grid in GRID.items():
            for value in grid:
                if value == getattr(current, name):
                    continue
                trial = replace(current, **{name: value})
                summary = pooled(replays, trial)
                score = objective(summary)
                if score > best + MIN_GAIN:
                    current, best, best_summary, moved = trial, score, summary, True
                    print(f"pass {n + 1}: {name} = {value} → objective {best:.3f}", file=sys.stderr)
        if not moved:
            break
    return current, best_summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--dry-run", action="store_true", help="print the result, do not write thresholds.json")
    args = parser.parse_args(argv)
    embedder = make_embedder(Settings(_env_file=None))
    replays = [Replay(build_services(corpus, embedder), load_questions(questions)) for corpus, questions in SETS]
    weights = learn_weights(ranking_examples(replays))
    print("learnt weights: " + ", ".join(f"{k} {v}" for k, v in weights.items()), file=sys.stderr)
    chosen, summary = calibrate(replays, replace(THRESHOLDS, **weights), args.passes)
    figures = {k: v for k, v in summary.items() if k != "by_category"}
    record = {
        "calibrated_on": [str(q.relative_to(ROOT)) for _, q in SETS],
        "date": datetime.date.today().isoformat(),
        "by": "python -m bench.calibrate (coordinate descent over each threshold's grid)",
        "weights": "learnt by listwise softmax ranking of the evidence sentences (L2 0.01), scaled to w_similarity = 1",
        "objective": "evidence_in_cited + key_facts + related_unstated_declined + 0.5 unrelated_declined "
                     "+ 0.25 time_aware_dated - 3 max(0, in_scope_declined - 0.08)",
        "calibration_figures": figures,
        "not_calibrated": {
            "w_similarity": "the unit of the score (the learnt weights are scaled to it)",
            "max_answer_chars": "a reading-length bound, set by design",
            "near_words": "how far a value may stand from what it is about; set by design (a clause's length)",
            "attribution_min_word_support": "language-model mode; needs a real model to calibrate",
            "attribution_min_cross_lingual": "language-model mode; needs a real model to calibrate",
        },
        # Read while retrieving, so the replayed retrievals cannot try its values: swept by hand
        # on the same pooled calibration questions (whole runs), before the rest was calibrated.
        "swept": {"focus_synonym": "whole runs on the calibration questions with the code of 2026-12-02: 0.6, "
                                   "0.65, 0.7 and 0.75 gave objectives 3.023, 3.042, 3.030 and 3.030; "
                                   "0.65 leads 0.7 (the value before) by more than the margin a change must clear",
                  "focus_partial": "whole runs on the calibration questions with the code of 2026-12-02 (stop 17): "
                                   "0.4, 0.45, 0.5, 0.55, 0.6 and 1.01 (off) gave objectives 3.063, 3.125, 3.106, "
                                   "3.080, 3.068 and 3.068",
                  "common_word_zipf": "set by hand on the pooled calibration questions (replays, 2026-12-03): 4.0, 4.5, "
                                      "5.0, 5.5, 6.0 and 8.0 (off) gave objectives 3.080, 3.100, 3.100, 3.089, 3.097 and "
                                      "3.097; 5.0 mends four in-scope questions (cited 0.827 -> 0.842, key facts 0.838 -> "
                                      "0.846, in-scope declined 0.068 -> 0.053, unstated declined unchanged) and lets one "
                                      "unrelated question through (1.0 -> 0.96), which the objective weighs at half; "
                                      "loosening unknown_term_weight instead (0.9) mends the same questions and lets three "
                                      "through",
                  "strong_similarity": "read while scoring sentences (whether a close sentence holds what is asked), "
                                       "so replays misjudge it: whole runs with the code and calibration questions of "
                                       "2026-12-02 (stop 17) gave 3.070 at 0.55 and 3.081 at 0.6"},
        "values": asdict(chosen),
    }
    print(json.dumps(figures))
    if not args.dry_run:
        PATH.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
