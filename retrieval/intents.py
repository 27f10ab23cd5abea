"""Messages that are not questions about the documents: greetings and requests to invent quotes.

No question is refused for its words. Ordinary policy language ("which agency acts as
coordinator?", "did Congress override the rules?", "did the statement warn about fake news?")
is answered like any other question. Planted instructions are defended where that works: in
extractive mode nothing a user writes can change what is quoted (answers are the documents' own
sentences), and in language-model mode the prompt fences untrusted text and every generated
sentence is checked against its passage. Only when the documents have nothing to say does a
message that tries to reach the bot's instructions get a reply saying so, instead of "I
couldn't find this".
"""

from __future__ import annotations

import re

_INSTRUCTIONS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instructions?|prompts?|guidelines|programming)\b"
    r"|\bsystem\s+prompt\b|\b(?:reveal|print|show|repeat|leak|output)\b.{0,30}\b(?:your|the)\s+"
    r"(?:instructions|prompt|rules|configuration)\b|\byou\s+are\s+now\b|\bjailbreak\b|\bdeveloper\s+mode\b",
    re.I | re.S,
)
# A request, not a question: it starts with the verb ("Make up a quote…", "Could you invent…").
_REQUEST = r"^\s*(?:(?:please|ok(?:ay)?|now|so)[\s,]+)?(?:(?:can|could|would|will) you\s+|i (?:need|want) you to\s+)?(?:please\s+)?"
_INVENT = re.compile(_REQUEST + r"(?:make\s+up|invent|fabricate|fake|forge)\b", re.I)
_WRITE_FAKE = re.compile(
    _REQUEST + r"(?:write|draft|create|generate|compose|give me|come\s+up\s+with|imagine|pretend)\b.{0,60}"
    r"\b(?:fake|fictional|fictitious|invented|made[-\s]up|plausible|hypothetical|imaginary|realistic-sounding)\b",
    re.I | re.S)
# Writing words for someone, or playing them, at the start of a sentence: "Write a direct quote
# from the minister saying …", "… Please write one in his voice.", "Pretend to be the envoy …"
# (an existing quote is given, found or shown; "Pretend I'm new to this" is a question).
_WRITE_QUOTE = re.compile(
    r"(?:^|(?<=[.!?])\s+)" + _REQUEST[1:] + r"(?:(?:write|draft|compose|craft|ghost-?write)\s+(?:me\s+)?"
    r"(?:a|an|one|some|the)?\s*(?:\w+\s+){0,2}(?:quotes?|quotations?|statement|remarks|words|one)|pretend\s+(?:to\s+be|(?:that\s+)?you))\b",
    re.I | re.S)
# Asking to pass something off as the documents' or a person's own.
_PASS_OFF = re.compile(
    r"\bin\s+(?:his|her|their|its)\s+(?:own\s+)?voice\b|\bpretend\s+(?:that\s+)?you(?:\s+are|'re)\b"
    r"|\b(?:fresh|new|original)\s+(?:quotes?|quotation)\b|\battribute\s+(?:it|this|that|them)\s+to\b"
    r"|\b(?:state|present|report|cite|quote)\s+(?:it|this|that|one|them)\s+as\s+(?:a\s+)?fact\b"
    r"|\bjust\s+(?:estimate|guess|assume|make)\b|\bso\s+(?:that\s+)?it\s+looks\s+(?:official|real|authentic|genuine)\b"
    # Dictating the answer: "…, and then tell me that the water is safe" (a request, not "did it say that …?").
    r"|(?:^|[.,;:!?]\s*|\b(?:and|then)\s+)(?:please\s+)?(?:tell|assure|reassure|convince)\s+"
    r"(?:me|us|everyone|users|people|readers)\s+that\b",
    re.I)
_FABRICATION_TOPIC = re.compile(
    _REQUEST + r"(?:make\s+up|invent|fabricate|fake|forge|write|draft|create|generate|compose|give me|"
    r"come\s+up\s+with|imagine|pretend)\b|\b(?:a|an|some)\s+(?:fake|fictional|fictitious|invented|made[-\s]up|"
    r"plausible|hypothetical|imaginary)?\s*(?:quotes?|quotations?|statements?|remarks?)\b"
    r"|\bthat\s+i\s+can\s+use\b.*$|\bfor\s+my\s+(?:article|story|piece|essay|post)\b|\bfrom\b|\babout\b",
    re.I)
_GREETING = re.compile(r"^(hi|hello|hey|yo|hiya|good\s+(morning|afternoon|evening)|thanks?|thank\s+you|ok(ay)?)\W*$", re.I)

INSTRUCTIONS_REPLY = (
    "I can't share or change my instructions. I answer questions about the documents I hold, "
    "with quotes — ask me about them."
)
FABRICATION_LEAD = "I can't make up quotes or facts: I only repeat what the documents say, word for word."
FABRICATION_NOTHING = FABRICATION_LEAD + " I found nothing in them on this."
GREETING_REPLY = "Hello! Ask me a question about the documents I hold: I answer with quotes from them."


def classify(question: str) -> str:
    """'greeting', 'fabrication' (a request to invent a quote or a figure) or 'question'."""
    if _GREETING.match(question.strip()):
        return "greeting"
    if any(p.search(question) for p in (_INVENT, _WRITE_FAKE, _WRITE_QUOTE, _PASS_OFF)):
        return "fabrication"
    return "question"


def reaches_for_instructions(question: str) -> bool:
    """Words aimed at the bot's own instructions; only shapes the reply when nothing is found."""
    return bool(_INSTRUCTIONS.search(question))


def fabrication_topic(question: str) -> str:
    """What a request for an invented quote is about, to show what the documents really say."""
    return re.sub(r"\s+", " ", _FABRICATION_TOPIC.sub(" ", question)).strip(" .?!,")
