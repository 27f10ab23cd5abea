"""Structure-aware chunking: passages follow sections and paragraphs, never cut a sentence.

A chunk is always a verbatim slice of the loaded text (char offsets kept), so a quote taken
from it can be checked against the source, and an evaluation's evidence strings (which are
copied from the source) can be found inside it.

Sizes were chosen by measurement on the dev question set (see `make eval`): around 1,100
characters keeps the two or three paragraphs that a multi-part question needs together,
while staying well under the embedding model's 256-token window per sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .loading import Block, LoadedDocument
from .sentences import split_sentences

# Blocks that are page furniture kept for completeness: each becomes its own small passage,
# labelled, so a question about a photo or the disclaimer can still be answered.
STANDALONE_KINDS = {"caption": "Caption", "disclaimer": "Disclaimer"}


@dataclass
class Chunk:
    ordinal: int
    text: str
    start: int
    end: int
    section: str
    kind: str  # "body", "caption" or "disclaimer"
    paragraph: int  # index of the first paragraph in the document
    sentences: list[tuple[int, int]] = field(default_factory=list)  # offsets within `text`


def chunk_document(doc: LoadedDocument, target_chars: int = 1100, max_chars: int = 1800) -> list[Chunk]:
    chunks: list[Chunk] = []
    group: list[tuple[Block, int]] = []  # blocks of the chunk being built, with paragraph index
    paragraph_index = 0

    def flush() -> None:
        if group:
            chunks.append(_make_chunk(doc, group, len(chunks)))
            group.clear()

    for block in doc.blocks:
        if block.kind in STANDALONE_KINDS:
            flush()
            group.append((block, paragraph_index))
            flush()
            paragraph_index += 1
            continue
        if block.kind == "heading":
            flush()  # sections never share a chunk
            group.append((block, paragraph_index))
            continue
        if group and group[0][0].section != block.section:
            flush()
        if len(block.text) > max_chars:
            flush()
            chunks.extend(_split_long(doc, block, paragraph_index, target_chars, len(chunks)))
            paragraph_index += 1
            continue
        size = group_size(group)
        if group and (size >= target_chars or size + len(block.text) > max_chars) and _has_body(group):
            flush()
        group.append((block, paragraph_index))
        paragraph_index += 1
    flush()
    return [c for c in chunks if c.sentences]


def group_size(group: list[tuple[Block, int]]) -> int:
    return group[-1][0].end - group[0][0].start if group else 0


def _has_body(group: list[tuple[Block, int]]) -> bool:
    return any(b.kind not in ("heading", "title") for b, _ in group)


def _make_chunk(doc: LoadedDocument, group: list[tuple[Block, int]], ordinal: int) -> Chunk:
    first, last = group[0][0], group[-1][0]
    start, end = first.start, last.end
    sentences: list[tuple[int, int]] = []
    for block, _ in group:
        if block.kind in ("heading", "title"):
            continue  # headings and titles are context (they label the passage), never an answer sentence
        if block.kind in STANDALONE_KINDS:
            # A caption with its credit, or a disclaimer, is read (and quoted) as one unit.
            sentences.append((block.start - start, block.end - start))
            continue
        sentences.extend(
            (a - start, b - start) for a, b in split_sentences(doc.text, block.start, block.end)
            if any(ch.isalnum() for ch in doc.text[a:b])  # "* * *" separators are not sentences
        )
    kind = first.kind if first.kind in STANDALONE_KINDS else "body"
    section = STANDALONE_KINDS.get(first.kind) or first.section
    body_paragraphs = [p for b, p in group if b.kind != "heading"]
    return Chunk(
        ordinal=ordinal,
        text=doc.text[start:end],
        start=start,
        end=end,
        section=section,
        kind=kind,
        paragraph=body_paragraphs[0] if body_paragraphs else group[0][1],
        sentences=sentences,
    )


def _split_long(doc: LoadedDocument, block: Block, paragraph: int, target: int, ordinal: int) -> list[Chunk]:
    """A paragraph longer than the maximum is cut between sentences, never inside one."""
    pieces: list[Chunk] = []
    spans = split_sentences(doc.text, block.start, block.end)
    current: list[tuple[int, int]] = []
    for span in spans + [None]:  # type: ignore[list-item]
        if current and (span is None or span[1] - current[0][0] > target):
            start, end = current[0][0], current[-1][1]
            pieces.append(
                Chunk(
                    ordinal=ordinal + len(pieces),
                    text=doc.text[start:end],
                    start=start,
                    end=end,
                    section=block.section,
                    kind="body",
                    paragraph=paragraph,
                    sentences=[(a - start, b - start) for a, b in current],
                )
            )
            current = []
        if span is not None:
            current.append(span)
    return pieces
