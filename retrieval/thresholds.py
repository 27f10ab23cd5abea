"""Every tunable number of the answering core, in one place, read from `thresholds.json`.

The numbers are data with a provenance: `python -m bench.calibrate` sets the calibrated ones on
`eval/calibration.jsonl` (never on the test split) and records the file, the date and the
figure it optimised; the others are marked as set by design, with the reason. Code reads them
from `THRESHOLDS`, never from literals of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

PATH = Path(__file__).with_name("thresholds.json")


@dataclass(frozen=True)
class Thresholds:
    # -- sentence scoring: score = Σ weight × feature (features in evidence.py) -------------
    w_similarity: float = 1.0  # cosine(question part, sentence)
    w_overlap: float = 0.3  # IDF-weighted share of the part's words in the sentence
    w_window: float = 0.2  # … in the sentence with its neighbours (pronouns, run-on lists)
    w_context: float = 0.2  # cosine(question part, whole passage)
    w_typed: float = 0.1  # the sentence holds what the question asks for (a date, a figure, a name)
    w_cue: float = 0.05  # … or what it hints at (a name for "who", a cause for "why")
    w_focus: float = 0.2  # share of the part's non-name words in the sentence itself
    w_anchor: float = 0.1  # share of the question's names and document references its document has
    w_recency: float = 0.05  # per step of document date, for questions about what is current
    w_length: float = 0.0  # sentence length (a long sentence says more)
    w_retrieval: float = 0.0  # its passage's fused retrieval score (relative to the best)
    # -- the evidence gate ---------------------------------------------------------------
    min_similarity: float = 0.42  # a sentence this close in meaning supports an answer …
    min_overlap: float = 0.34  # … or one sharing this much of the question's weighted words
    min_support: float = 0.5  # … if its combined score reaches this
    min_overlap_similarity: float = 0.15  # … and its meaning is not unrelated (a shared word is not a topic)
    min_topic: float = 0.3  # below this similarity and overlap the topic itself is absent
    unknown_term_weight: float = 0.35  # share of the question's weight in words no document has
    unknown_name_weight: float = 0.1  # … in names no document has ("the Quantum Sensing Pact")
    # A missing word at least this common in English at large ("give", "money") does not count.
    common_word_zipf: float = 8.0
    strong_similarity: float = 0.6  # meaning this close outweighs unknown words (paraphrase)
    typed_within: float = 0.1  # a sentence holding what is asked must score this close to the best
    min_focus: float = 0.0  # … and speak to what is asked about, not only to the names
    near_words: int = 10  # … with the value within this many words of what is asked about
    focus_partial: float = 1.01  # a word this close counts for a question's word in part (up to focus_synonym)
    focus_synonym: float = 1.01  # a passage's word this close to a question's word stands for it (wordsense.py)
    # -- composing ------------------------------------------------------------------------
    keep_within: float = 0.12  # sentences this close to a part's best are worth adding
    # For how things stand or changed: how far below the best an older source's best sentence
    # may score and still be shown with its date ("Earlier, on …: …").
    dated_within: float = 0.24
    redundant: float = 0.6  # word overlap above which a second sentence repeats the first
    max_answer_chars: int = 900
    # -- cross-lingual (multilingual-e5 scale) ----------------------------------------------
    crosslingual_min_passage: float = 0.795
    # -- generated answers (attribution.py) ------------------------------------------------
    attribution_min_word_support: float = 0.7
    attribution_min_cross_lingual: float = 0.82


def load(path: Path = PATH) -> Thresholds:
    data = json.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in fields(Thresholds)}
    values = {k: v for k, v in data["values"].items() if k in known}
    unknown = set(data["values"]) - known
    if unknown:
        raise ValueError(f"{path}: unknown thresholds {sorted(unknown)}")
    return Thresholds(**values)


def provenance(path: Path = PATH) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k != "values"}


THRESHOLDS = load()
