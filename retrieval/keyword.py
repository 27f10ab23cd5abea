"""BM25 keyword search over the live chunks, rebuilt whenever the catalog changes.

Dense vectors miss exact terms (names, acronyms, numbers like "R48363" or "H.R. 4687");
BM25 catches them. The index lives in memory and is derived from the store, so it can never
disagree with Chroma about which documents exist.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also according say says said tell described describe mentioned mention
    mentions document documents""".split()
)
# Words that only frame a question about documents ("according to", "what does it say"); which
# document a question points at is read from the documents' own titles (question.py), not here.

_STEMMER = Stemmer.Stemmer("english")


@functools.lru_cache(maxsize=131072)
def _stem(token: str) -> str:
    # Snowball (Porter 2): "forged"/"forging", "condemnation"/"condemn", "spending"/"spend" meet.
    return _STEMMER.stemWord(token.replace("'s", "").replace("’s", ""))


def tokenize(text: str) -> list[str]:
    """Lower-cased content words; hyphenated compounds also yield their parts."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=65536)
def _tokens(text: str) -> tuple[str, ...]:
    # Cached: the same passages and sentences are scored for question after question.
    tokens: list[str] = []
    for m in _TOKEN.finditer(text.lower()):
        word = m.group(0).replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]  # "country's", "what's": the word itself
        parts = re.split(r"[-']", word)
        for t in ([word] if len(parts) > 1 else []) + parts:
            if t and t not in STOPWORDS and (len(t) > 1 or t.isdigit()):
                tokens.append(_stem(t))
    return tokens


# A run of capitalised words, small joining words allowed inside: "U.S. Department of Agriculture".
_INITIAL = r"(?:[A-Z](?:\.[A-Z])+\.?|[A-Z][\w’'-]*)"
_CAPITAL_RUN = re.compile(_INITIAL + r"(?:\s+(?:(?:of|and|for|the|on|&)\s+)?" + _INITIAL + r")+")
_JOINING = frozenset("of and for the on &".split())


@functools.lru_cache(maxsize=65536)
def acronyms(text: str) -> frozenset[str]:
    """The initials of the text's capitalised names, as tokens: "the U.S. Department of
    Agriculture" also stands for "USDA", "Environmental Protection Agency" for "EPA"; so a
    question using the short form finds the sentence using the long one."""
    found = set()
    for m in _CAPITAL_RUN.finditer(text):
        words = m.group(0).split()
        while words and words[0].lower() in STOPWORDS:  # "In June …", "The Supplemental …"
            words = words[1:]
        letters = [("".join(c for c in w if c.isupper()) if re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?\.?", w) else w[0].upper(),
                    w in _JOINING) for w in words if w != "&"]
        for a in ("".join(c for c, joining in letters if not joining), "".join(c for c, _ in letters)):
            if len(a) >= 2:
                found.add(_stem(a.lower()))
    return frozenset(found)


def terms(text: str) -> set[str]:
    """The text's tokens with the initials of its names ("USDA" for "U.S. Department of Agriculture")."""
    return set(_tokens(text)) | acronyms(text)


class KeywordIndex:
    def __init__(self, ids: Sequence[str], texts: Sequence[str] = (), tokens: Sequence[list[str]] | None = None) -> None:
        self.ids = list(ids)
        corpus = [t or ["\0empty"] for t in (tokens if tokens is not None else (tokenize(t) for t in texts))]
        self._bm25 = bm25s.BM25()
        if self.ids:
            self._bm25.index(corpus, show_progress=False)
        df = Counter(t for tokens in corpus for t in set(tokens))
        n = max(len(corpus), 1)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._default_idf = math.log(1 + (n + 0.5) / 0.5)
        self._sorted = sorted(self._idf)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, token: str) -> float:
        """Rarity of a token in the corpus; unseen tokens count as rarest."""
        return self._idf.get(token, self._default_idf)

    def knows(self, token: str) -> bool:
        return token in self._idf

    def extends(self, token: str, longer_by: int = 4) -> bool:
        """Whether the corpus has a word that is this one lengthened a little: "European" for
        "Europe", "Asian" for "Asia" (a place and the word for its people or things)."""
        i = bisect.bisect_right(self._sorted, token)
        for word in self._sorted[i:i + 20]:  # the words it begins come right after it
            if not word.startswith(token):
                return False
            if len(word) - len(token) <= longer_by:
                return True
        return False

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = [t for t in tokenize(query) if t in self._idf]
        if not tokens or not self.ids:
            return []
        k = min(k, len(self.ids))
        docs, scores = self._bm25.retrieve([tokens], k=k, show_progress=False, n_threads=1)
        return [
            (self.ids[int(i)], float(s)) for i, s in zip(np.ravel(docs), np.ravel(scores)) if s > 0
        ]
