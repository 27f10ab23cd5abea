"""Loaders: the bytes of one file in, a `LoadedDocument` with exact text and structure out.

Every `Block.text` is exactly `doc.text[start:end]`, so passages and quotes built from blocks
can always be checked against the source. Formats: .txt, .md, .html, .pdf (text layer), .docx.
Raw web-page captures saved as text are recognised and their page furniture (image alt text,
a category label) dropped, while captions and disclaimers are kept as labelled blocks.
Documents fetched by link (their source is the http(s) URL) are recognised by their bytes: a
PDF, a web page (its main text found by trafilatura, without navigation and boilerplate), or
plain text.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath

from .errors import RetrievalError
from .sentences import trim_span

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
MAX_BYTES = 50 * 1024 * 1024
_DOCX_MAX_UNCOMPRESSED = 100 * 1024 * 1024
_DOCX_MAX_RATIO = 100


class DocumentError(RetrievalError):
    """A file that cannot be indexed; str(e) says why and what to do, in plain words."""


@dataclass(frozen=True)
class Block:
    kind: str  # "title" | "heading" | "paragraph" | "caption" | "disclaimer"
    text: str  # always exactly doc.text[start:end]
    start: int
    end: int
    section: str  # heading of the enclosing section ("" before the first heading)


@dataclass
class LoadedDocument:
    source: str
    text: str
    blocks: list[Block]
    title: str
    publisher: str = ""
    date: str = ""
    source_url: str = ""
    license: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def is_web_source(source: str) -> bool:
    """A document added by link has its URL as its source."""
    return re.match(r"https?://", str(source), re.I) is not None


def safe_name(filename: str) -> str:
    """A file name is only ever a label: no directories, no control characters. A link is kept
    whole (it is the document's identity), without whitespace or control characters."""
    if is_web_source(filename):
        return "".join(ch for ch in str(filename) if not ch.isspace() and unicodedata.category(ch)[0] != "C")[:2048]
    name = PurePath(str(filename).replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:200] or "document"


def load_path(path: Path) -> LoadedDocument:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DocumentError(f"{Path(path).name}: could not be read ({e.strerror or e}).") from e
    return load_document(data, Path(path).name)


def load_document(data: bytes, filename: str) -> LoadedDocument:
    name = safe_name(filename)
    suffix = PurePath(name).suffix.lower()
    if is_web_source(name):
        suffix = web_suffix(data)
    elif suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{name}: this format isn't supported; send one of {', '.join(SUPPORTED_SUFFIXES)}."
        )
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{name}: the file is larger than {MAX_BYTES // 1048576} MB.")
    if not data.strip():
        raise DocumentError(f"{name}: the file is empty.")
    if is_web_source(name):
        doc = _load_web(data, name, suffix)
    elif suffix == ".pdf":
        doc = _load_pdf(data, name)
    elif suffix == ".docx":
        doc = _load_docx(data, name)
    elif suffix in (".html", ".htm"):
        doc = _load_html(decode_text(data, name), name)
    elif suffix in (".md", ".markdown"):
        doc = _load_markdown(decode_text(data, name), name)
    else:
        doc = _load_plain(decode_text(data, name), name)
    if not doc.blocks or not any(b.kind in ("paragraph", "caption", "disclaimer") for b in doc.blocks):
        raise DocumentError(f"{name}: the file is empty (no readable text was found in it).")
    return doc


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]  # readers accept junk before the header, and so do servers


def web_suffix(data: bytes) -> str:
    """How a fetched document is read (and stored): by what its bytes are, not by its URL."""
    if looks_like_pdf(data):
        return ".pdf"
    head = data[:4096].lstrip().lower()
    if re.search(rb"<(?:!doctype html|html|head|body|article|main|p|div|h1|title)[\s>]", head):
        return ".html"
    return ".txt"


# -- text encodings ------------------------------------------------------------------------
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# Control characters (Unicode category Cc) other than tab and line feed: one regex pass, not a
# Python-level test per character (that alone took 0.6 s per MB).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def decode_text(data: bytes, filename: str) -> str:
    """Detect the encoding (BOM, strict UTF-8, UTF-16 without BOM, East Asian code pages)."""
    text = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, errors="replace")
            break
    if text is None:
        text = _guess_decode(data)
    if text is None or _looks_binary(text):
        raise DocumentError(f"{filename}: this doesn't look like text (is it a binary file with a text extension?).")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not text.strip():
        raise DocumentError(f"{filename}: the file is empty.")
    return text


def _guess_decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # UTF-16 without a BOM: NUL bytes never occur in text in the other encodings we accept.
    sample = data[:4000]
    if b"\x00" in sample:
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                text = data[: len(data) - len(data) % 2].decode(encoding)
            except UnicodeDecodeError:
                continue
            if not _looks_binary(text):
                return text
        return None
    from charset_normalizer import from_bytes

    candidates = []
    for encoding in ("cp949", "shift_jis", "cp932", "euc_jp", "gb18030", "big5", "cp1252"):
        try:
            candidates.append((encoding, data.decode(encoding)))
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is not None and best.encoding:
        guess = str(best)
        if candidates and best.encoding not in {c for c, _ in candidates}:
            # Prefer a strict East Asian decode that charset-normalizer's pick disagrees with
            # only when its pick is a single-byte Western page (a common mis-detection).
            if best.encoding.startswith(("cp125", "latin", "iso8859")):
                return candidates[0][1]
        return guess
    return candidates[0][1] if candidates else None


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:5000]
    bad = sum(1 for ch in sample if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Co", "Cn") and ch not in "\n\r\t"))
    return bad / len(sample) > 0.05


# -- plain text and page captures --------------------------------------------------------
_PARAGRAPHS = re.compile(r"[^\n](?:.|\n(?!\s*\n))*", re.UNICODE)
_DATELINE = re.compile(r"^(Published|Updated|Posted)(\s+on)?\s+(?P<date>[A-Z][a-z]+\.? \d{1,2}, \d{4})\s*$")
_CREDIT = re.compile(r"\((?:[^()]*\b(?:photo|image|credit|getty|reuters|ap|afp)\b[^()]*)\)\s*$", re.I)
_DISCLAIMER = re.compile(
    r"does not take institutional positions|views (?:represented|expressed) herein|do not necessarily reflect", re.I
)
# "<Publisher> does not take institutional positions…", "…the views of <Publisher>, its staff…"
_DISCLAIMER_SUBJECT = re.compile(
    r"^(?:The\s+)?(?P<a>[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|of|for|and|on|the))*?)\s+(?:does|do)\s+not\b"
    r"|\bviews of (?:the\s+)?(?P<b>[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|of|for|and|on|the))*)")


def _paragraph_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    spans = []
    for m in _PARAGRAPHS.finditer(text):
        a, b = trim_span(text, m.start(), m.end())
        if a < b:
            spans.append((a + offset, b + offset))
    return spans


def _looks_like_heading(line: str) -> bool:
    words = line.split()
    if not 1 <= len(words) <= 14 or len(line) > 110 or "\n" in line:
        return False
    if line[-1] in ".:;,!?" or line[0].islower():
        return False
    capitalised = sum(1 for w in words if w[:1].isupper() or not w[:1].isalpha())
    return capitalised / len(words) >= 0.6


# A line that starts a block of its own: a list item, a heading, a quotation, a table row.
_BLOCK_LINE = re.compile(r"[ \t]*(?:[-*+•][ \t]|\d{1,3}[.)][ \t]|#|>|\||```)")
_WRAP_WIDTH = 60  # a line this long that stops mid-sentence was wrapped by the writer's editor
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]\s*$")


def _unwrap_plain(text: str) -> str:
    """Hard-wrapped paragraphs rejoined, each line break that only wrapped a sentence made a
    space (same length, so offsets hold): else every wrapped line would be cut into a sentence of
    its own. A break stays where the next line continues nothing: a list item, a new sentence
    after a short line (a dateline, a caption, a heading)."""
    lines = text.split("\n")
    out = []
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        wrapped = (line.strip() and nxt.strip() and not _BLOCK_LINE.match(nxt)
                   and (nxt.lstrip()[:1].islower() or (len(line) >= _WRAP_WIDTH and not _SENTENCE_END.search(line))))
        out.append(line + (" " if wrapped else "\n"))
    return "".join(out)[:len(text)]


def _load_plain(text: str, name: str) -> LoadedDocument:
    text = _unwrap_plain(text)
    spans = _paragraph_spans(text)
    lines = [text[a:b] for a, b in spans]
    kinds: list[str | None] = ["paragraph"] * len(spans)
    title = ""
    date = ""
    publisher = ""
    # A dateline ("Published on August 27, 2025") marks a captured article page: what comes
    # before it is furniture, title and standfirst.
    dateline = next((i for i, l in enumerate(lines[:12]) if _DATELINE.match(l)), None)
    extra: dict[str, str] = {}
    if dateline is not None:
        date = _iso_date(_DATELINE.match(lines[dateline]).group("date"))
        head = list(range(dateline))
        caption = next((i for i in head if _CREDIT.search(lines[i])), None)
        if caption is not None:
            kinds[caption] = "caption"
            for i in head:
                if i < caption:
                    kinds[i] = None  # image alt text above the caption
        labels = [i for i in head if kinds[i] == "paragraph" and len(lines[i].split()) <= 3 and lines[i][:1].islower()]
        for i in labels:
            extra["label"] = lines[i]
            kinds[i] = None
        rest = [i for i in head if kinds[i] == "paragraph"]
        if rest:
            kinds[rest[0]] = "title"
            title = lines[rest[0]]
            # Standfirst and dateline stay together as one block, exactly as on the page.
            standfirst = rest[1] if len(rest) > 1 else dateline
            merged = (spans[standfirst][0], spans[dateline][1])
            for i in range(standfirst, dateline + 1):
                kinds[i] = None
            kinds[standfirst] = "paragraph"
            spans[standfirst] = merged
    for i, line in enumerate(lines):
        if i >= len(lines) - 3 and kinds[i] == "paragraph" and _DISCLAIMER.search(line):
            kinds[i] = "disclaimer"
            publisher = publisher or _publisher_from(line)
    blocks = _blocks(text, spans, kinds, detect_headings=True)
    if not title:
        first = next((b for b in blocks if b.kind == "heading"), None)
        if first is not None and blocks.index(first) == 0:
            title = first.text
            blocks[0] = Block("title", first.text, first.start, first.end, "")
            blocks = _resection(blocks)
    return LoadedDocument(name, text, blocks, title or PurePath(name).stem, publisher, date, extra=extra)


def _publisher_from(disclaimer: str) -> str:
    """The organisation a page's disclaimer speaks for, in its own words."""
    m = _DISCLAIMER_SUBJECT.search(disclaimer)
    return (m.group("a") or m.group("b")).strip() if m else ""


def _blocks(text: str, spans, kinds, detect_headings: bool) -> list[Block]:
    blocks: list[Block] = []
    section = ""
    for (a, b), kind in zip(spans, kinds):
        if kind is None:
            continue
        piece = text[a:b]
        if kind == "paragraph" and detect_headings and _looks_like_heading(piece):
            kind = "heading"
        if kind == "heading":
            section = _clean_heading(piece)
        blocks.append(Block(kind, piece, a, b, section if kind not in ("title",) else ""))
    return blocks


def _resection(blocks: list[Block]) -> list[Block]:
    out, section = [], ""
    for b in blocks:
        if b.kind == "heading":
            section = _clean_heading(b.text)
        out.append(Block(b.kind, b.text, b.start, b.end, "" if b.kind == "title" else section))
    return out


def _clean_heading(text: str) -> str:
    return re.sub(r"^#+\s*|\*\*|__", "", text).strip().rstrip(":")


# -- markdown ------------------------------------------------------------------------------
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"#{1,6}\s+.+|\*\*[^*\n]+\*\*|__[^_\n]+__")
_MD_FIGURE = re.compile(r"\[(?:Figure|Table|Image|Photo)[^\]]*\]", re.I)


def _load_markdown(raw: str, name: str) -> LoadedDocument:
    meta: dict[str, str] = {}
    m = _FRONT_MATTER.match(raw)
    text = raw
    if m:
        meta = _parse_front_matter(m.group(1))
        text = raw[m.end():]
    title = meta.pop("title", "")
    pieces: list[tuple[str, str]] = []
    for a, b in _paragraph_spans(text):
        piece = text[a:b]
        if _MD_HEADING.fullmatch(piece):
            kind = "heading"
        elif _MD_FIGURE.fullmatch(piece):
            kind = "caption"
        elif not pieces and not title and _looks_like_heading(piece):
            title, kind = piece, "title"
        elif not pieces and title and piece.strip() == title.strip():
            kind = "title"
        else:
            kind = "paragraph"
        rendered = _clean_heading(piece) if kind == "heading" else render_inline_markdown(piece)
        if rendered:
            pieces.append((kind, rendered))
    doc = _assemble(name, pieces, title)
    if not meta.get("title") and not title:
        doc.title = next((b.text for b in doc.blocks if b.kind in ("title", "heading")), PurePath(name).stem)
    doc.publisher = meta.pop("publisher", "")
    doc.date = _iso_date(meta.pop("date", ""))
    doc.source_url = meta.pop("source_url", "")
    doc.license = meta.pop("license", "") or meta.pop("licence", "")
    doc.extra = meta
    return doc


# Markdown's inline syntax is how the text is written, not what it says: quotes and evidence
# are read as a reader sees the page ("the Technology Prosperity Deal", not "[…](https://…)").
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # <https://…>
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),  # inline HTML (<br>, <sup>)
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__"), lambda m: m.group(1) or m.group(2)),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"),
     lambda m: m.group(1) or m.group(2)),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
    (re.compile(r"(?m)^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+"), ""),  # list markers
    (re.compile(r"(?m)^[ \t]*>[ \t]?"), ""),  # block quotes
]


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")
_MD_ESCAPED = re.compile("\ue000(\\d+)\ue001")


def render_inline_markdown(text: str) -> str:
    # Escaped characters ("\*") are literal: set aside before the syntax is read, restored after.
    text = _MD_ESCAPE.sub(lambda m: f"\ue000{ord(m.group(1))}\ue001", text)
    text = _join_soft_breaks(text)
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    text = _MD_ESCAPED.sub(lambda m: chr(int(m.group(1))), text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def _join_soft_breaks(text: str) -> str:
    """A single line break inside a Markdown paragraph is a space (the writer's editor wrapped the
    line), unless the next line starts a list item, heading, quotation or table row, or the line
    ends in a hard break (two spaces or a backslash)."""
    lines = [line for line in text.split("\n") if line.strip()]
    out: list[str] = []
    hard_before = False
    for i, line in enumerate(lines):
        hard = line.endswith(("  ", "\\"))
        if i:
            out.append("\n" if hard_before or _BLOCK_LINE.match(line) else " ")
        out.append(line.rstrip().rstrip("\\").rstrip() if hard else line.strip())
        hard_before = hard
    return "".join(out)


def _parse_front_matter(block: str) -> dict[str, str]:
    """`key: value` lines. Not strict YAML: real front matter often has unquoted colons."""
    meta: dict[str, str] = {}
    for line in block.splitlines():
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if m:
            value = m.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            meta[m.group(1).lower()] = value
    return meta


_MONTHS = "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y"


def _iso_date(value: str) -> str:
    value = (value or "").strip()
    m = re.match(r"(\d{4}-\d{2}-\d{2})", value)
    if m:
        return m.group(1)
    for fmt in _MONTHS:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


# -- html ----------------------------------------------------------------------------------
_META_DATE = ("article:published_time", "og:published_time", "date", "dc.date", "dcterms.date", "dc.date.issued",
              "citation_publication_date", "citation_date", "pubdate", "publish_date", "publication_date",
              "article:modified_time")
_META_PUBLISHER = ("publisher", "og:site_name", "citation_publisher", "dc.publisher", "dcterms.publisher", "author")
_META_URL = ("source_url", "og:url", "citation_public_url", "dc.identifier")
_META_LICENSE = ("license", "licence", "dc.rights", "dcterms.license", "copyright")


def _load_html(raw: str, name: str) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "lxml")
    meta = _html_metadata(soup)
    for tag in soup(["script", "style", "noscript", "template", "svg", "head", "iframe", "nav", "footer", "form"]):
        tag.decompose()
    pieces: list[tuple[str, str]] = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "td", "th", "pre", "figcaption", "dd", "dt"]):
        if el.find_parent(["p", "li", "blockquote", "td", "th", "figcaption"]):
            continue  # nested inside a block already taken
        value = re.sub(r"\s+", " ", el.get_text(" ", strip=True)).strip()
        if value:
            kind = "heading" if el.name.startswith("h") else "caption" if el.name == "figcaption" else "paragraph"
            pieces.append((kind, value))
    if not pieces:
        body = soup.body.get_text("\n", strip=True) if soup.body else ""
        pieces = [("paragraph", p) for p in body.split("\n") if p.strip()]
    doc = _assemble(name, pieces, meta.get("title", ""))
    doc.publisher, doc.date = meta.get("publisher", ""), meta.get("date", "")
    doc.source_url, doc.license = meta.get("source_url", ""), meta.get("license", "")
    if not doc.date:  # a dateline on the page ("Updated September 11, 2025")
        doc.date = next((d for b in doc.blocks[:6] if (d := _dateline(b.text))), "")
    return doc


def _html_metadata(soup) -> dict[str, str]:
    """Title, date, publisher, URL and licence from a page's <head> (standard and Open Graph names)."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("name") or tag.get("property") or tag.get("itemprop") or "").strip().lower()
        value = (tag.get("content") or "").strip()
        if key and value:
            found.setdefault(key, value)
    time_tag = soup.find("time", attrs={"datetime": True})
    if time_tag is not None:
        found.setdefault("time", time_tag["datetime"])
    title = (soup.title.get_text(strip=True) if soup.title else "") or found.get("og:title", "")
    date = next((_iso_date(found[k]) for k in (*_META_DATE, "time") if k in found and _iso_date(found[k])), "")
    canonical = soup.find("link", rel="canonical")
    url = next((found[k] for k in _META_URL if k in found), "") or (canonical.get("href", "") if canonical else "")
    return {"title": title, "date": date, "url": url, "source_url": url,
            "publisher": next((found[k] for k in _META_PUBLISHER if k in found), ""),
            "license": next((found[k] for k in _META_LICENSE if k in found), "")}


_LOOSE_DATELINE = re.compile(r"\b(?:Published|Updated|Posted|Released|Issued)(?:\s+on)?:?\s+(?P<date>[A-Z][a-z]+\.? \d{1,2}, \d{4})")


def _dateline(text: str) -> str:
    m = _LOOSE_DATELINE.search(text[:200])
    return _iso_date(m.group("date")) if m else ""


# A figure's or table's caption, and the source and notes printed under it: small labelled
# passages ("Figure 1. Civil Penalties Collected, 1985-2025", "Source: CRS.") that a reader asks
# about as such ("what is the source of Figure 1?").
_FIGURE_CAPTION = re.compile(r"^[|*_\s]*(?:Figure|Fig\.|Table|Chart|Map|Exhibit|Graph)\s+[A-Z]?\d+[a-z]?\s*[.:\-–—]", re.I)
_FIGURE_NOTE = re.compile(r"^[|*_\s]*(?:Sources?|Notes?)\s*[*_]*\s*:", re.I)
_MAX_CAPTION_CHARS, _MAX_NOTE_CHARS = 300, 800
_NOTE_REACH = 3  # a source line may follow the table or chart its caption heads


def _caption_box(value: str) -> bool:
    """A caption with its source line boxed in a one-column table (a page converted to Markdown)."""
    rows = [r for r in value.splitlines() if re.search(r"[^\s|:-]", r)]
    return (len(value) <= _MAX_CAPTION_CHARS + _MAX_NOTE_CHARS and len(rows) > 1 and bool(_FIGURE_CAPTION.match(rows[0]))
            and all(_FIGURE_NOTE.match(r) or _FIGURE_CAPTION.match(r) for r in rows[1:]))


def _captions(pieces: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out, since_caption = [], _NOTE_REACH + 1
    for kind, value in pieces:
        if kind == "paragraph" and (len(value) <= _MAX_CAPTION_CHARS and _FIGURE_CAPTION.match(value)
                                    or _caption_box(value)):
            kind, since_caption = "caption", 0
        elif kind == "paragraph" and len(value) <= _MAX_NOTE_CHARS and _FIGURE_NOTE.match(value) \
                and since_caption <= _NOTE_REACH:
            kind, since_caption = "caption", 0
        else:
            since_caption += 1
        out.append((kind, value))
    return out


def _assemble(name: str, pieces: list[tuple[str, str]], title: str = "") -> LoadedDocument:
    """Join extracted pieces into one text with blank lines between them, keeping offsets."""
    parts, blocks, section, cursor = [], [], "", 0
    for kind, value in _captions(pieces):
        if kind == "heading":
            section = _clean_heading(value)
            if not title and not blocks:
                title, kind = value, "title"
        start = cursor
        parts.append(value)
        cursor += len(value) + 2
        blocks.append(Block(kind, value, start, start + len(value), "" if kind == "title" else section))
    text = "\n\n".join(parts)
    return LoadedDocument(name, text, blocks, title or PurePath(name).stem)


# -- documents fetched by link ------------------------------------------------------------
def _load_web(data: bytes, url: str, suffix: str) -> LoadedDocument:
    if suffix == ".pdf":
        doc = _load_pdf(data, url)
    elif suffix == ".html":
        doc = _load_web_page(decode_text(data, url), url)
    else:
        doc = _load_plain(decode_text(data, url), url)
    doc.source, doc.source_url = url, url
    return doc


_MIN_PAGE_WORDS = 20


def _load_web_page(raw: str, url: str) -> LoadedDocument:
    """The page's main text, with its title, date and site name, by trafilatura: navigation,
    scripts, cookie banners, related links and footers are left out."""
    import trafilatura

    found = trafilatura.bare_extraction(raw, url=url, with_metadata=True, include_comments=False,
                                        include_tables=True, include_images=False, include_links=False)
    if found is None or found.body is None:
        raise DocumentError(f"{url}: no article text was found on the page (is it a sign-in page, "
                            "or one built by JavaScript?); link to the document itself, or send it as a file.")
    title = re.sub(r"\s+", " ", found.title or "").strip()
    pieces: list[tuple[str, str]] = []
    for element in found.body:
        for kind, value in _web_pieces(element):
            if kind == "heading" and not pieces and value == title:
                continue  # the headline is the title (as for PDFs), not a sentence to quote
            pieces.append((kind, value))
    words = sum(len(value.split()) for kind, value in pieces if kind == "paragraph")
    if words < _MIN_PAGE_WORDS:
        # What is left of an app shell or a sign-in page is a menu item or two, not a document.
        raise DocumentError(f"{url}: no article text was found on the page ({words} words of text; is it a "
                            "sign-in page, or one built by JavaScript?); link to the document itself, "
                            "or send it as a file.")
    doc = _assemble(url, pieces, title)
    doc.publisher = (found.sitename or "").strip()
    doc.date = _iso_date(found.date or "")
    return doc


def _web_pieces(element) -> list[tuple[str, str]]:
    """Trafilatura's XML body (head, p, list/item, table/row/cell, quote, code) as (kind, text)."""
    tag = element.tag
    if tag == "graphic":
        return []
    if tag == "list":  # every item its own paragraph, nested lists included, none twice
        return [("paragraph", v) for item in element.iter("item") if (v := _web_text(item, skip="list"))]
    if tag == "table":
        rows = []
        for row in element.iter("row"):
            cells = [c for c in (_web_text(cell) for cell in row.iter("cell")) if c]
            if cells:
                rows.append(("paragraph", " | ".join(cells)))
        return rows
    value = _web_text(element)
    if not value:
        return []
    return [("heading" if tag == "head" else "paragraph", value)]


def _web_text(element, skip: str = "") -> str:
    def walk(el) -> str:
        parts = [el.text or ""]
        for child in el:
            if child.tag in ("lb", skip):
                parts.append(" ")  # a line break separates words; a nested list is its own piece
            else:
                parts.append(walk(child))
            parts.append(child.tail or "")
        return "".join(parts)

    return re.sub(r"\s+", " ", walk(element)).strip()


# -- pdf -----------------------------------------------------------------------------------
def _load_pdf(data: bytes, name: str) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as e:
                raise DocumentError(f"{name}: the PDF is password-protected; send an unprotected copy.") from e
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, IndexError) as e:
        raise DocumentError(f"{name}: could not be read as a PDF (it may be damaged); re-export it and try again.") from e
    except Exception as e:  # pypdf raises many internal types on malformed input
        raise DocumentError(f"{name}: could not be read as a PDF ({type(e).__name__}); re-export it and try again.") from e
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text.strip():
        raise DocumentError(f"{name}: the PDF has no text layer (it looks scanned); run OCR on it or send the text.")
    meta = {}
    try:
        meta = reader.metadata or {}
    except Exception:
        pass
    # PDF text comes in lines; rejoin lines within paragraphs so sentences aren't cut.
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        joined = re.sub(r"-\n(?=[a-z])", "", para)
        joined = re.sub(r"\s*\n\s*", " ", joined).strip()
        if joined:
            paragraphs.append(("heading" if _looks_like_heading(joined) else "paragraph", joined))
    doc = _assemble(name, paragraphs, str(meta.get("/Title") or "").strip())
    doc.publisher = str(meta.get("/Author") or "").strip()
    doc.date = _pdf_date(str(meta.get("/CreationDate") or meta.get("/ModDate") or "")) or next(
        (d for b in doc.blocks[:6] if (d := _dateline(b.text))), "")
    return doc


def _pdf_date(value: str) -> str:
    """PDF dates look like "D:20250827120000+09'00'"."""
    m = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value.strip())
    if not m:
        return ""
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3))).date().isoformat()
    except ValueError:
        return ""


# -- docx ----------------------------------------------------------------------------------
def _load_docx(data: bytes, name: str) -> LoadedDocument:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise DocumentError(f"{name}: could not be read as a Word document (.docx); re-save it and try again.") from e
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > _DOCX_MAX_UNCOMPRESSED or total / packed > _DOCX_MAX_RATIO:
        # Checked from the zip directory before anything is extracted: a zip bomb never expands.
        raise DocumentError(f"{name}: the document expands to an implausible size; it was not opened.")
    from docx import Document

    try:
        document = Document(io.BytesIO(data))
    except Exception as e:
        raise DocumentError(f"{name}: could not be read as a Word document (.docx); re-save it and try again.") from e
    pieces: list[tuple[str, str]] = []
    for para in document.paragraphs:
        value = para.text.strip()
        if not value:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        kind = "heading" if style.startswith("Heading") or style == "Title" else "paragraph"
        pieces.append((kind, value))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                pieces.append(("paragraph", " | ".join(dict.fromkeys(cells))))
    props = document.core_properties
    doc = _assemble(name, pieces, (props.title or "").strip())
    # Core properties' dates are often a template's, not the document's: not used.
    doc.publisher = (props.author or "").strip()
    return doc
