"""How a sentence leans on the one before it: what its first words say about its subject.

A sentence opening "This …", "However, …" or "As a result, …" means little alone, so answers
quote the sentence before it too; one whose subject is a pronoun ("It won …") or a thing the
sentence before names ("… a meeting. The meeting was …") goes on about the same thing, so it
may complete an answer the sentence before began.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .keyword import tokenize

if TYPE_CHECKING:
    from .evidence import Candidate

_ANAPHOR = re.compile(r"^(?:[\"“‘(]?)(?:This|These|That|Those|It|Its|They|Their|Them|He|His|She|Her|Such|"
                      r"The two|Both|Also|However|Additionally|In addition|Meanwhile|Despite this|"
                      # a consequence: what it follows from is said in the sentence before
                      r"As a result|As such|Therefore|Thus|Hence|Consequently|Accordingly|In turn|In response(?! to)|"
                      r"For (?:this|that|these|those) reasons?|Because of (?:this|that))\b")
_SAME_SUBJECT = re.compile(r"^[\"“‘(]?(?:It|Its|They|Their|He|His|She|Her)\b")
_DEFINITE_SUBJECT = re.compile(r"^[\"“‘(]?(?:The|These|Those|That|This|Such)\s+([^\W\d_]+)")


def is_anaphoric(sentence: str) -> bool:
    """Whether the sentence needs the one before it to be understood."""
    return bool(_ANAPHOR.match(sentence))


def carries_on(c: Candidate, before: Candidate) -> bool:
    """Whether `c`, right after `before` in its passage, goes on about the same thing: its subject
    a pronoun ("It won …") or something `before` names ("… to hold a meeting. The meeting was …");
    not a comment on it ("This decision followed …")."""
    if c.chunk_id != before.chunk_id or c.index != before.index + 1:
        return False
    if _SAME_SUBJECT.match(c.text):
        return True
    m = _DEFINITE_SUBJECT.match(c.text)
    return bool(m) and bool(set(tokenize(m.group(1))) & set(tokenize(before.text)))
