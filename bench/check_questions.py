"""Check an evaluation file: fields, ids, and evidence that really is in the documents.

    python -m bench.check_questions eval/questions.jsonl --corpus documents/

Exit status 1 when anything is wrong; every problem is printed with the question's id.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from retrieval.index import iter_document_files
from retrieval.loading import load_path

KINDS = {"in_scope", "out_of_scope", "adversarial"}
CATEGORIES = {
    "in_scope": {"fact", "paraphrase", "follow_up", "multi_part", "labelled_passage", "trigger_words",
                 "time_aware", "multilingual"},
    "out_of_scope": {"related_unstated", "unrelated", "follow_up", "multilingual", "trigger_words"},
    "adversarial": {"prompt_injection", "fabrication", "html_injection", "long_input", "empty_input", "token_echo"},
}


def load_rows(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise SystemExit(f"{path}:{number}: not JSON ({e.msg})")
    return rows


def corpus_blocks(corpus: Path) -> dict[str, list[str]]:
    """Each document's paragraphs (blocks), as the loader reads them."""
    return {p.name: [b.text for b in load_path(p).blocks] for p in iter_document_files([corpus])}


def fact_found(fact: list[str], text: str) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(form.lower())}(?!\w)", low) for form in fact)


def check(rows: list[dict], blocks: dict[str, list[str]]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    everything = [b for doc in blocks.values() for b in doc]
    for row in rows:
        rid = row.get("id", "?")
        if rid in seen:
            problems.append(f"{rid}: duplicate id")
        seen.add(rid)
        kind, category = row.get("kind"), row.get("category")
        if kind not in KINDS:
            problems.append(f"{rid}: kind {kind!r} is not one of {sorted(KINDS)}")
            continue
        if category not in CATEGORIES[kind]:
            problems.append(f"{rid}: category {category!r} is not one of {sorted(CATEGORIES[kind])} for {kind}")
        if not isinstance(row.get("question"), str):
            problems.append(f"{rid}: question must be a string")
        for name in row.get("docs", []):
            if name not in blocks:
                problems.append(f"{rid}: document {name!r} is not in the corpus")
        history = row.get("history", [])
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            problems.append(f"{rid}: history must be a list of strings")
        if category == "follow_up" and not history:
            problems.append(f"{rid}: a follow-up needs its history")
        spans = row.get("evidence", []) + row.get("related_evidence", [])
        if kind == "in_scope":
            if not row.get("evidence"):
                problems.append(f"{rid}: in-scope questions need evidence")
            facts = row.get("key_facts")
            if not facts or not all(isinstance(f, list) and f and all(isinstance(x, str) for x in f) for f in facts):
                problems.append(f"{rid}: key_facts must be a non-empty list of lists of strings")
            elif row.get("evidence"):
                joined = " ".join(row["evidence"])
                for fact in facts:
                    if not fact_found(fact, joined):
                        problems.append(f"{rid}: key fact {fact} is in none of its evidence spans")
        if category == "related_unstated" and not row.get("unstated"):
            problems.append(f"{rid}: say in `unstated` which fact the documents do not give")
        if category == "multilingual" and row.get("lang") not in ("ko", "ja"):
            problems.append(f"{rid}: multilingual questions need lang ko or ja")
        for span in spans:
            if not isinstance(span, str) or not span.strip():
                problems.append(f"{rid}: empty evidence span")
            elif "\n\n" in span:
                problems.append(f"{rid}: evidence crosses a paragraph break: {span[:60]!r}")
            elif not any(span in b for b in everything):
                problems.append(f"{rid}: evidence not found verbatim in one paragraph: {span[:80]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.check_questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent.parent / "documents")
    args = parser.parse_args(argv)
    blocks = corpus_blocks(args.corpus)
    failed = False
    for path in args.files:
        rows = load_rows(path)
        problems = check(rows, blocks)
        counts: dict[str, int] = {}
        for r in rows:
            counts[r.get("category", "?")] = counts.get(r.get("category", "?"), 0) + 1
        print(f"{path}: {len(rows)} questions; " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for p in problems:
            print(f"  {p}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
