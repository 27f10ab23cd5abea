"""Realistic documents of any size for the benchmarks and the scaling tests.

Prose is the shipped documents' own sentences, recombined into new paragraphs under new
headings. Every sentence written is distinct (years and places varied, and a varied closing
clause where that is not enough): the project embeds each distinct sentence once, so a
corpus of repeats would flatter it against the recipe, which embeds every chunk.
"""

from __future__ import annotations

import functools
import random
import re
from pathlib import Path

from retrieval.chunking import chunk_document
from retrieval.index import iter_document_files
from retrieval.loading import load_path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "documents"
_PLACES = ["Seoul", "Tokyo", "Osaka", "Busan", "Washington", "Nagoya", "Incheon", "Sapporo", "Daejeon", "Fukuoka"]
_TAILS = ["officials in {place} said in {year}", "according to a {year} review in {place}",
          "as a {year} briefing in {place} put it", "in the view of analysts in {place} in {year}",
          "a point raised again in {place} in {year}", "as noted at a {year} meeting in {place}"]


@functools.lru_cache(maxsize=1)
def shipped_sentences() -> tuple[str, ...]:
    sentences = []
    for path in iter_document_files([DOCUMENTS]):
        for chunk in chunk_document(load_path(path)):
            sentences += [chunk.text[a:b] for a, b in chunk.sentences if len(chunk.text[a:b]) > 40]
    return tuple(sentences)


class Prose:
    """An endless supply of distinct sentences, paragraphs and headings."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.sentences = shipped_sentences()
        self.seen: set[str] = set()

    def sentence(self) -> str:
        rng = self.rng
        text = rng.choice(self.sentences)
        text = re.sub(r"\b(19|20)\d\d\b", lambda m: str(rng.randint(1990, 2035)), text)
        text = re.sub(r"\b(Tokyo|Seoul|Washington)\b", lambda m: rng.choice(_PLACES), text)
        while text in self.seen:
            tail = rng.choice(_TAILS).format(place=rng.choice(_PLACES), year=rng.randint(1990, 2035))
            end = len(text.rstrip(".!?\"”’)"))
            text = f"{text[:end]}, {tail}{text[end:]}" if end else text
        self.seen.add(text)
        return text

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 8)))

    def heading(self, number: int) -> str:
        words = [w for w in re.findall(r"[A-Za-z]+", self.rng.choice(self.sentences)) if len(w) > 3][:5]
        return f"Part {number}: " + " ".join(w.capitalize() for w in words)


def long_text(chars: int, seed: int = 5, title: str = "Generated Report") -> str:
    """A plain-text report of about `chars` characters: a title, then sections of paragraphs."""
    prose = Prose(seed)
    parts, size = [title], len(title)
    while size < chars:
        if (len(parts) - 1) % 7 == 0:
            parts.append(prose.heading(len(parts) // 7 + 1))
        parts.append(prose.paragraph())
        size += len(parts[-1]) + 2
    return "\n\n".join(parts) + "\n"


def small_documents(count: int, out_dir: Path, seed: int = 13) -> list[Path]:
    """`count` short notes (a title and one or two paragraphs, ~1 KB), one file each."""
    prose = Prose(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        body = "\n\n".join(prose.paragraph() for _ in range(prose.rng.randint(1, 2)))
        path = out_dir / f"note-{i:04d}.txt"
        path.write_text(f"Field Note {i}\n\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths


# The PDF core fonts only know Latin-1: typographic punctuation is written in its ASCII form.
_LATIN1 = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "})


def pdf_report(pages: int, seed: int = 21) -> bytes:
    """A report of exactly `pages` A4 pages with a real text layer: headings, justified
    paragraphs and a page number in every footer, as a word processor would export it."""
    from fpdf import FPDF
    from fpdf.enums import MethodReturnValue, XPos, YPos

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 10, f"Page {self.page_no()}", align="C")

    prose = Prose(seed)
    pdf = Report(format="A4")
    pdf.set_title("Generated Report")
    pdf.set_author("Benchmark Institute")
    pdf.set_auto_page_break(True, margin=25)
    pdf.set_margins(25, 25, 25)
    pdf.add_page()

    def fits_on_last_page(text: str, line: float) -> bool:
        if pdf.page_no() < pages:
            return True
        height = pdf.multi_cell(0, line, text, dry_run=True, output=MethodReturnValue.HEIGHT)
        return not pdf.will_page_break(height)

    section = 0
    while True:
        section += 1
        heading = _latin1(prose.heading(section))
        pdf.set_font("Helvetica", style="B", size=13)
        if not fits_on_last_page(heading, 8):
            return bytes(pdf.output())
        pdf.multi_cell(0, 8, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=12)
        for _ in range(6):
            text = _latin1(prose.paragraph())
            if not fits_on_last_page(text, 6.5):
                return bytes(pdf.output())
            pdf.multi_cell(0, 6.5, text, align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(3)


def _latin1(text: str) -> str:
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
