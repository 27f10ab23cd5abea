"""Answers, briefings and lists as Telegram HTML, split to Telegram's message limit.

Pure functions: everything that reaches Telegram passes through `html.escape` here, and
`split_message` never cuts inside a tag, an entity or a source line.
"""

from __future__ import annotations

import re
from html import escape

from retrieval.answer import Answer, Citation
from retrieval.loading import is_web_source
from retrieval.sentences import split_sentences
from retrieval.service import Briefing
from retrieval.store import DocumentRecord

TELEGRAM_LIMIT = 4096
_MAX_LISTED_URL = 200  # eight documents a page, each URL at most this long: a page stays one message
_CITATION_MARK = re.compile(r"\[(\d+)\]")


def source_line(n: int, title: str, publisher: str, date: str, section: str, source: str = "") -> str:
    details = ", ".join(x for x in (_short_publisher(publisher), date) if x)
    line = f"[{n}] <i>{titled_link(title, source)}</i>"
    if details:
        line += f" ({escape(details)})"
    if section:
        line += f" — {escape(section)}"
    return line


def render_answer(answer: Answer) -> str:
    parts = [f"<i>{escape(n)}</i>" for n in answer.notices]
    body = escape(answer.answer)
    # Bold citation markers stand out without looking like links.
    parts.append(_CITATION_MARK.sub(r"<b>[\1]</b>", body))
    if answer.citations:
        parts.append("<b>Sources</b>\n" + "\n".join(
            source_line(c.n, c.title, c.publisher, c.date, c.section, c.source) for c in answer.citations
        ))
    return "\n\n".join(parts)


DOCUMENTS_DONT_SAY = "The documents don't say"
_INLINE_TITLE_CHARS = 100
_INLINE_PREVIEW_CHARS = 140


def inline_title(answer: Answer) -> str:
    """The answer's first sentence (an abstention says so plainly), short enough for a result row."""
    if answer.kind == "abstain":
        return DOCUMENTS_DONT_SAY
    sentences = _plain_sentences(answer.answer)
    return _shorten_words(sentences[0] if sentences else answer.answer, _INLINE_TITLE_CHARS)


def inline_preview(answer: Answer) -> str:
    """A line under the title: what follows the first sentence, or else where it comes from."""
    sentences = _plain_sentences(answer.answer)
    rest = " ".join(sentences if answer.kind == "abstain" else sentences[1:])
    if not rest and answer.citations:
        first = answer.citations[0]
        rest = f"From {first.title}" + (f" ({first.date})" if first.date else "")
    return _shorten_words(rest, _INLINE_PREVIEW_CHARS)


def render_inline_answer(question: str, answer: Answer) -> str:
    """The message posted from an inline result: the question, the answer, its sources, in one
    message (a long answer is shortened; its sources are always kept)."""
    text = answer.answer
    while True:
        shown = Answer(answer.question, text, answer.citations, notices=answer.notices, kind=answer.kind)
        html = f"<b>Q:</b> <i>{escape(question)}</i>\n\n{render_answer(shown)}"
        if _units(html) <= TELEGRAM_LIMIT or len(text) < 40:
            break
        text = _shorten_words(text, int(len(text) * 0.8))
    return html if _units(html) <= TELEGRAM_LIMIT else split_message(html)[0]


def _plain_sentences(text: str) -> list[str]:
    plain = re.sub(r"\s*\[\d+\]", "", text).strip()
    return [plain[a:b] for a, b in split_sentences(plain)]


def _shorten_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def render_quotes(citations: list[Citation]) -> str:
    blocks = []
    for c in citations:
        quotes = "\n".join(f"“{escape(q)}”" for q in c.quote.split(" … "))
        blocks.append(f"<b>[{c.n}]</b> <i>{escape(c.title)}</i>\n<blockquote>{quotes}</blockquote>")
    return "\n\n".join(blocks) or "No quotes to show."


def render_briefing(briefing: Briefing) -> str:
    if not briefing.points:
        return f"Nothing in the documents on <i>{escape(briefing.topic)}</i> yet."
    numbers: dict[str, int] = {}
    sources: list[str] = []
    bullets: list[str] = []
    for point in briefing.points:
        p = point.passage
        if p.chunk_id not in numbers:
            numbers[p.chunk_id] = len(numbers) + 1
            sources.append(source_line(numbers[p.chunk_id], p.title, p.publisher, p.date, p.section, p.source))
        new = "🆕 " if point.new else ""
        bullets.append(f"• {new}{escape(point.text)} <b>[{numbers[p.chunk_id]}]</b> ({escape(p.date or 'undated')})")
    header = f"<b>Briefing: {escape(briefing.topic)}</b>"
    return "\n\n".join([header, "\n".join(bullets), "<b>Sources</b>\n" + "\n".join(sources)])


def render_documents(records: list[DocumentRecord], page: int, per_page: int) -> str:
    if not records:
        return "No documents are indexed yet. Send me a file to add one."
    pages = max(1, -(-len(records) // per_page))
    page = min(max(page, 0), pages - 1)
    lines = [f"<b>Documents</b> ({len(records)}; page {page + 1}/{pages})"]
    for r in records[page * per_page : (page + 1) * per_page]:
        line = f"<code>{escape(r.doc_id)}</code> {escape(r.date or '—')} · {r.chunks} chunks\n{escape(r.title)}"
        if is_web_source(r.source):
            line += "\n" + escape(_shorten_words(r.source, _MAX_LISTED_URL))
        lines.append(line)
    return "\n\n".join(lines)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split on paragraph, then line, then word boundaries, keeping HTML tags balanced.

    Telegram counts UTF-16 code units; tags don't count, so measuring the raw HTML in code
    units is a safe upper bound.
    """
    if _units(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for unit in _units_of(text, limit - 64):  # headroom for re-opened tags
        candidate = f"{current}\n\n{unit}" if current else unit
        if current and _units(_close_open_tags(candidate)) > limit:
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return _rebalance(pieces)


def _units_of(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for para in text.split("\n\n"):
        if _units(para) <= limit:
            out.append(para)
            continue
        lines = para.split("\n")
        if len(lines) > 1:
            out.extend(u for line in lines for u in _units_of(line, limit))
            continue
        out.extend(_split_words(para, limit))
    return out


def _split_words(text: str, limit: int) -> list[str]:
    words = re.split(r"(?<= )", text)
    out, current = [], ""
    for w in words:
        while _units(w) > limit:  # one enormous "word": cut it, but not inside a tag or entity
            cut = _safe_cut(w, limit)
            out.append(current + w[:cut]) if current else out.append(w[:cut])
            current, w = "", w[cut:]
        if _units(current + w) > limit:
            out.append(current)
            current = w
        else:
            current += w
    if current:
        out.append(current)
    return out


def _safe_cut(s: str, limit: int) -> int:
    cut = limit // 2  # code units ≤ 2 per char
    for opener, closer in (("<", ">"), ("&", ";")):
        start = s.rfind(opener, 0, cut)
        if start != -1 and s.find(closer, start) >= cut:
            cut = start
    return max(cut, 1)


_TAG = re.compile(r"<(/?)([a-z-]+)([^>]*)>")


def _open_tags(text: str) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for m in _TAG.finditer(text):
        closing, name, attrs = m.groups()
        if closing:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name:
                    del stack[i:]
                    break
        else:
            stack.append((name, attrs))
    return stack


def _close_open_tags(text: str) -> str:
    return text + "".join(f"</{name}>" for name, _ in reversed(_open_tags(text)))


def _rebalance(pieces: list[str]) -> list[str]:
    """Close tags left open at the end of a piece and re-open them at the next."""
    out: list[str] = []
    carry: list[tuple[str, str]] = []
    for piece in pieces:
        prefix = "".join(f"<{name}{attrs}>" for name, attrs in carry)
        full = prefix + piece
        carry = _open_tags(full)
        out.append(_close_open_tags(full))
    return [p for p in out if _visible(p)]


def _visible(html_text: str) -> bool:
    return bool(re.sub(r"<[^>]+>", "", html_text).strip())


def _units(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def titled_link(title: str, source: str) -> str:
    """A document added by link is cited with its link: the title opens it."""
    if is_web_source(source):
        return f'<a href="{escape(source, quote=True)}">{escape(title)}</a>'
    return escape(title)


def _short_publisher(publisher: str) -> str:
    # Front matter often has "Ministry of Transport (Press Office), Releases": keep the name.
    return re.split(r"\s[—–-]\s|,", publisher, maxsplit=1)[0].strip()
