"""The cross-lingual side index: computed per document after the commit (never on the question
path), stored in Chroma beside the index, removed with its document."""

from __future__ import annotations

import time

from retrieval.service import PENDING_NOTES

PACT = """---
title: "Kelp Farming Compact"
date: 2026-03-01
---

The Kelp Farming Compact moves the seaweed auction of Wando County to a floating pier at Jeju by 2031.
"""
QUESTION = "켈프 양식 협정은 완도군의 해조류 경매를 어디로 옮기나요?"  # where does the compact move the auction?


def add_pact(services, tmp_path, text: str = PACT):
    path = tmp_path / "kelp.md"
    path.write_text(text, encoding="utf-8")
    return services.index.ingest_path(path).record


def test_a_new_document_is_searched_in_korean_once_its_vectors_are_computed(corpus_services, tmp_path):
    record = add_pact(corpus_services, tmp_path)
    started = time.perf_counter()
    before = corpus_services.answer(QUESTION)  # nothing is computed on the question path...
    assert time.perf_counter() - started < 5
    assert all(p.doc_id != record.doc_id for p in before.passages)
    assert PENDING_NOTES["ko"].format(n=1) in before.notices  # ...and the asker is told why

    assert corpus_services.multilingual.missing() == [record]
    corpus_services.multilingual.compute_missing()
    after = corpus_services.answer(QUESTION)
    assert not after.abstained and after.citations[0].doc_id == record.doc_id
    assert "Jeju" in after.answer and not any("준비" in n for n in after.notices)


def test_vectors_are_removed_with_their_document_and_replaced_with_it(corpus_services, tmp_path):
    store = corpus_services.store
    first = add_pact(corpus_services, tmp_path)
    corpus_services.multilingual.compute_missing()
    assert first.key in store.multilingual_keys()

    second = add_pact(corpus_services, tmp_path, PACT.replace("Jeju", "Geoje"))  # a replacement
    assert first.key not in store.multilingual_keys() and first.key not in store.vector_keys()
    assert not store.multilingual_vectors([f"{first.key}:0000"])
    corpus_services.multilingual.compute_missing()
    assert "Geoje" in corpus_services.answer(QUESTION).answer

    corpus_services.index.remove(second.doc_id)
    assert second.key not in store.multilingual_keys() and second.key not in store.vector_keys()
    assert all(p.doc_id != second.doc_id for p in corpus_services.answer(QUESTION).passages)


def test_the_background_worker_fills_in_new_documents(corpus_services, tmp_path):
    corpus_services.start_background()
    try:
        record = add_pact(corpus_services, tmp_path)  # the commit wakes the worker
        deadline = time.monotonic() + 60
        while record.key not in corpus_services.store.multilingual_keys() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert record.key in corpus_services.store.multilingual_keys()
    finally:
        corpus_services.stop_background()
    assert "Jeju" in corpus_services.answer(QUESTION).answer


def test_a_version_replaced_before_its_vectors_are_stored_leaves_none_behind(corpus_services, tmp_path):
    store = corpus_services.store
    first = add_pact(corpus_services, tmp_path)
    add_pact(corpus_services, tmp_path, PACT.replace("Jeju", "Geoje"))  # replaced before its turn came
    assert corpus_services.multilingual.compute(first) is False
    assert first.key not in store.multilingual_keys() and first.key not in store.vector_keys()


NOTICE = """---
title: "Harbour Board Notice"
date: 2026-04-02
---

The harbour board met in Mokpo to review the ferry timetable and the tides for the coming season.
Ordinance HB-118 on ferry fares was signed on January 9, 2026.
Ordinance HB-204 on seaweed auctions was signed on March 3, 2026.
Ordinance HB-377 on pier lights was signed on May 20, 2026.
The board will publish the new ferry timetable once the tide tables are printed.
"""


def test_a_korean_question_finds_the_sentence_that_spells_its_latin_words_and_holds_what_it_asks(
        corpus_services, tmp_path):
    """"HB-204" is written the same in both languages, and "언제" (when) asks for a date."""
    record = add_pact(corpus_services, tmp_path, NOTICE)
    corpus_services.multilingual.compute_missing()
    answer = corpus_services.answer("HB-204 조례는 언제 서명되었나요?")
    assert not answer.abstained
    assert answer.citations[0].doc_id == record.doc_id
    assert "March 3, 2026" in answer.answer.split("[1]")[0]


def test_a_value_the_korean_question_gives_is_not_what_it_asks_for(corpus_services, tmp_path):
    """"2026년" is in the question: a sentence holding only that year does not say when."""
    add_pact(corpus_services, tmp_path, NOTICE.replace(
        "The board will", "The 2026 seaweed auctions are governed by Ordinance HB-204. The board will"))
    corpus_services.multilingual.compute_missing()
    retrieval = corpus_services.crosslingual.retrieve("2026년 해조류 경매에 관한 HB-204 조례는 언제 서명되었나요?", 5)
    typed = {s.text: s.typed for p in retrieval.passages for s in p.sentences}
    assert typed["Ordinance HB-204 on seaweed auctions was signed on March 3, 2026."] is True
    assert typed["The 2026 seaweed auctions are governed by Ordinance HB-204."] is False
