"""Requests that are not questions about the documents, recognised before retrieval.

The extractive mode has no hidden prompt to leak and cannot be talked into inventing things,
but users deserve a clear answer instead of an unrelated quote: these are declined politely.
"""

from __future__ import annotations

import re

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|above|previous)\b"
    r"|\bsystem\s+prompt\b|\b(reveal|print|show|repeat)\b.{0,30}\b(instructions|prompt)\b"
    r"|\byou\s+are\s+now\b|\bjailbreak\b|\bdeveloper\s+mode\b|\bact\s+as\b",
    re.I | re.S,
)
_FABRICATION = re.compile(
    r"\b(make\s+up|made[-\s]up|invent|fabricate|fake|imagine|pretend)\b.{0,60}\b(quotes?|quotations?|statements?|sources?|citations?)\b"
    r"|\b(write|create|draft)\b.{0,20}\b(fake|fictional|plausible)\b.{0,20}\bquotes?\b",
    re.I | re.S,
)
_FABRICATION_TOPIC = re.compile(
    r"\b(make\s+up|invent|fabricate|fake|imagine|pretend)\b|\b(a|an|some)\s+(quotes?|quotations?|statements?)\b"
    r"|\bthat\s+i\s+can\s+use\b.*$|\bfor\s+my\s+(article|story|piece)\b|\bfrom\b|\babout\b",
    re.I,
)
_GREETING = re.compile(r"^(hi|hello|hey|yo|hiya|good\s+(morning|afternoon|evening)|thanks?|thank\s+you|ok(ay)?)\W*$", re.I)

INJECTION_REPLY = (
    "I can't share or change my instructions. I answer questions about the documents I hold, "
    "with quotes — ask me about them."
)
FABRICATION_LEAD = "I can't make up quotes: I only repeat what the documents say, word for word."
FABRICATION_NOTHING = FABRICATION_LEAD + " I found nothing in them on this."
GREETING_REPLY = (
    "Hello! Ask me a question about the documents, for example: "
    "“Which technologies did Lee and Ishiba discuss?”"
)


def classify(question: str) -> str:
    """'injection', 'fabrication', 'greeting' or 'question'."""
    if _INJECTION.search(question):
        return "injection"
    if _FABRICATION.search(question):
        return "fabrication"
    if _GREETING.match(question.strip()):
        return "greeting"
    return "question"


def fabrication_topic(question: str) -> str:
    """What a request for an invented quote is about, to show what the documents really say."""
    return re.sub(r"\s+", " ", _FABRICATION_TOPIC.sub(" ", question)).strip(" .?!")
