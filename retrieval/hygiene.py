"""Turning raw user text into a question the core can safely work with.

Telegram delivers anything: pasted web pages, 50,000 characters, zero-width joiners, bot
tokens. This module produces plain text of bounded length, and says what it changed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

# Telegram bot tokens ("<bot id>:<35 url-safe characters>") and API keys ("sk-…").
TOKEN_PATTERN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}|\bsk-[A-Za-z0-9_-]{20,}")
_SCRIPTS = re.compile(r"<(script|style|template|noscript)\b[^>]*>.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


@dataclass
class CleanQuestion:
    text: str
    notices: list[str] = field(default_factory=list)
    error: str | None = None


def redact_secrets(text: str) -> str:
    return TOKEN_PATTERN.sub("[redacted token]", text)


def clean_question(raw: str, max_chars: int) -> CleanQuestion:
    notices: list[str] = []
    text = redact_secrets(raw or "")
    if text != (raw or ""):
        notices.append("Something that looked like a bot token was removed from your message.")
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    if _TAG.search(text):
        text = html.unescape(_TAG.sub(" ", _SCRIPTS.sub(" ", text)))
    text = re.sub(r"\s+", " ", text).strip()
    text = _collapse_repeats(text)
    if len(text) > max_chars:
        cut = text[:max_chars]
        cut = cut[: cut.rfind(" ")] if " " in cut[max_chars // 2 :] else cut
        notices.append(f"Your message was long, so only its first {max_chars} characters were used.")
        text = cut.strip()
    if not any(ch.isalnum() for ch in text):
        return CleanQuestion("", notices, "Please send a question about the documents, in words.")
    return CleanQuestion(text, notices)


def _collapse_repeats(text: str) -> str:
    """A question pasted many times over is one question."""
    parts = re.split(r"(?<=[.?!。？！])\s+", text)
    seen: list[str] = []
    for p in parts:
        if p and p not in seen:
            seen.append(p)
    return " ".join(seen) if len(seen) < len(parts) else text


def question_language(text: str) -> str:
    """'ko', 'ja' or '' — by script: enough to route a question and to pick its language note."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7a3]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "ja"
    return ""
