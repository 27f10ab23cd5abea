"""Words of the passages that mean what a question's words mean ("staff": "employees").

A question put in other words than its answer ("how many newborns…" for "…900,000 infants…")
shares few words with the sentence that answers it, so the test that a figure stands near what
is asked about finds nothing to stand near. Single words are compared with the embedding model:
a word of a candidate sentence stands for a word of the question when their vectors are at least
`THRESHOLDS.focus_synonym` close, and speaks to it in part from `THRESHOLDS.focus_partial` on
("swapping": "replacement"; evidence.py scales the credit between the two). Vectors are cached
per word (bounded), so a question costs only the words no earlier question has met.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np

from .embedding import Embedder
from .keyword import tokenize

_WORD = re.compile(r"[^\W\d_]{3,}(?:[-'’][^\W\d_]+)*")
_CAPACITY = 60_000  # words (float16: ~45 MB with MiniLM's 384 dimensions)


class RelatedWords:
    def __init__(self, embedder: Embedder, capacity: int = _CAPACITY) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _vectors_of(self, words: Sequence[str]) -> np.ndarray:
        found: dict[str, np.ndarray] = {}
        with self._lock:  # copied out, so that a concurrent question evicting them changes nothing here
            for w in dict.fromkeys(words):
                if w in self._vectors:
                    self._vectors.move_to_end(w)
                    found[w] = self._vectors[w]
        missing = [w for w in dict.fromkeys(words) if w not in found]
        if missing:  # embedded outside the lock: other questions' cached words stay readable meanwhile
            fresh = {w: v.astype(np.float16) for w, v in zip(missing, self.embedder.embed_array(missing))}
            found.update(fresh)
            with self._lock:
                self._vectors.update(fresh)
                while len(self._vectors) > self.capacity:
                    self._vectors.popitem(last=False)
        return np.asarray([found[w] for w in words], dtype=np.float32).reshape(len(words), -1)

    def related(self, asked: dict[str, str], texts: Iterable[str], threshold: float) -> dict[str, dict[str, float]]:
        """For each asked word (stem: as written), the stems of the texts' words at least
        `threshold` close to it, with how close."""
        if not asked or threshold > 1.0:
            return {}
        vocabulary: dict[str, str] = {}
        for text in texts:
            for m in _WORD.finditer(text):
                word = m.group(0)
                stems = tokenize(word)
                if len(stems) == 1 and stems[0] not in asked:
                    vocabulary.setdefault(stems[0], word.lower())
        if not vocabulary:
            return {}
        stems = list(vocabulary)
        asked_stems = list(asked)
        vectors = self._vectors_of([asked[s].lower() for s in asked_stems] + [vocabulary[s] for s in stems])
        sims = vectors[:len(asked_stems)] @ vectors[len(asked_stems):].T
        return {a: {stems[j]: float(sims[i, j]) for j in np.flatnonzero(sims[i] >= threshold)}
                for i, a in enumerate(asked_stems)}
