"""How common a word is in English at large, whatever the documents are about.

A question's word that no document contains is a sign that the documents do not cover what it
asks ("the Quantum Sensing Pact", "a hotline") — unless it is a word any English text uses
("give", "money", "happened"): then the documents only word the same thing otherwise, which is
what a paraphrase is. wordfreq's Zipf scale says how common: 7 for "the", about 5.5 for "money"
and "told", 3–4 for "hotline", "lender" or "avert".
"""

from __future__ import annotations

from functools import lru_cache

from wordfreq import zipf_frequency


@lru_cache(maxsize=65_536)
def zipf(word: str) -> float:
    """The word's frequency in English on the Zipf scale (log10 of uses per billion words); 0 if unseen."""
    return zipf_frequency(word, "en")
