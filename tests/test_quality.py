"""What the answers do, question class by question class, with every shipped document indexed.

The figures (evidence cited, key facts, declines) are measured by `make eval` on the test split
(tests/test_bench.py runs it). These tests pin the behaviours behind them on questions of the
calibration split (eval/calibration.jsonl), on the original dev set, and on questions written
here; the test split is never used to shape them.
"""

from __future__ import annotations

import json
import re

import pytest

from bench.eval import key_facts_found, load_questions
from tests.conftest import DEV_SET, ROOT

DEV = load_questions(DEV_SET)
CALIBRATION = {r["id"]: r for r in load_questions(ROOT / "eval" / "calibration.jsonl")}

OFF_TOPIC = [
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "Who won the 2018 FIFA World Cup?",
    "How do I reverse a linked list in Python?",
    "What's the weather like in Paris tomorrow?",
    "Recommend a good science fiction novel.",
    "How many calories are in a banana?",
]
# Ordinary questions that happen to use words of prompt attacks: answered like any other.
TRIGGER_WORDS = [
    "Which new body will act as coordinator for the three countries' work on North Korean cyber threats?",
    "Did the United States override South Korea's concerns when it curtailed military exercises?",
    "What instructions did the leaders give to their ministers on economic security?",
    "What role does the commentary see for Silicon Valley?",
    "What prompted Lee to soften his stance on Japan?",
]


def ask(services, row):
    return services.answer(row["question"] * int(row.get("repeat", 1)), row["history"])


def cited(answer, evidence) -> bool:
    return all(any(piece in c.passage for c in answer.citations) for piece in evidence)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_are_declined_honestly(shared_corpus, question):
    answer = shared_corpus.answer(question)
    assert answer.abstained and answer.kind == "abstain" and not answer.citations
    assert "couldn't find" in answer.answer


@pytest.mark.parametrize("question", TRIGGER_WORDS)
def test_questions_are_never_refused_for_their_words(shared_corpus, question):
    answer = shared_corpus.answer(question)
    assert answer.kind != "refusal" and "instructions" not in answer.answer.split("[")[0].lower()
    assert answer.citations, answer.answer


@pytest.mark.parametrize("rid", ["a1-084", "a2-066", "a2-073"])
def test_trigger_word_questions_from_the_calibration_set_are_answered(shared_corpus, rid):
    row = CALIBRATION[rid]
    answer = ask(shared_corpus, row)
    assert not answer.abstained and cited(answer, row["evidence"]), answer.answer


@pytest.mark.parametrize("rid, missing", [("a1-103", "a name"), ("a1-109", "that figure")])
def test_related_but_unstated_says_so_and_shows_what_the_documents_say(shared_corpus, rid, missing):
    answer = ask(shared_corpus, CALIBRATION[rid])
    assert answer.abstained and answer.answer.startswith(f"The documents don't give {missing}")
    assert "What they do say:" in answer.answer and answer.citations


def test_a_name_no_document_mentions_is_not_answered_with_a_neighbour(shared_corpus):
    answer = shared_corpus.answer("Where was the Quantum Sensing Pact signed?")
    assert answer.abstained
    # Said in so many words, whether the passages near it are shown ("The documents don't
    # mention …. What they do say: …") or none is close enough ("I couldn't find anything on …").
    assert "“Quantum Sensing Pact”" in answer.answer.split("[")[0], answer.answer
    answer = shared_corpus.answer("What is Atlantis's policy on deep-sea mining?")
    assert answer.abstained and "“Atlantis”" in answer.answer, answer.answer


def test_every_part_of_a_multi_part_question_is_answered(shared_corpus):
    row = CALIBRATION["a1-050"]
    answer = ask(shared_corpus, row)
    assert cited(answer, row["evidence"]) and key_facts_found(answer.answer, row), answer.answer


def test_a_follow_up_about_a_new_subject_keeps_the_earlier_frame(shared_corpus):
    row = CALIBRATION["a2-035"]  # "And on Taiwan?" after a question on the South China Sea
    answer = ask(shared_corpus, row)
    assert not answer.abstained and "Taiwan" in answer.answer and cited(answer, row["evidence"][:1])


@pytest.mark.parametrize("rid", ["a1-043", "a2-039"])  # "Will he stick with …?", "What did he say …?"
def test_a_follow_up_resolves_pronouns_from_the_conversation(shared_corpus, rid):
    row = CALIBRATION[rid]
    answer = ask(shared_corpus, row)
    assert not answer.abstained and cited(answer, row["evidence"]), answer.answer


def test_sources_that_differ_in_time_are_dated_newest_first(shared_corpus):
    row = CALIBRATION["a1-087"]  # the current president, and the one at Camp David
    answer = ask(shared_corpus, row)
    assert answer.answer.startswith("As of 2026-09-17 (newest source):"), answer.answer
    assert "Earlier, on 2023-08-18:" in answer.answer
    assert answer.answer.index("2026-09-17") < answer.answer.index("2023-08-18")


def test_every_quote_is_verbatim_and_every_marker_a_source(shared_corpus):
    for row in DEV + list(CALIBRATION.values()):
        answer = ask(shared_corpus, row)
        for c in answer.citations:
            assert c.text == c.passage
            for piece in c.quote.split(" … "):
                assert piece in c.passage, (row["id"], piece)
        for n in re.findall(r"\[(\d+)\]", answer.answer):
            assert int(n) in {c.n for c in answer.citations}, (row["id"], answer.answer)


@pytest.mark.parametrize("row", [r for r in DEV if r["kind"] == "adversarial"], ids=lambda r: r["id"])
def test_adversarial_inputs(shared_corpus, row):
    answer = ask(shared_corpus, row)
    category = row["category"]
    if category == "prompt_injection":  # nothing in the documents: said plainly, nothing revealed
        assert answer.abstained and answer.kind == "refusal"
        assert "system prompt" not in answer.answer.lower()
    elif category == "fabrication":  # never invented; what the documents really say, quoted
        assert answer.kind == "refusal" and answer.abstained
        assert answer.answer.startswith("I can't make up quotes")
        assert all(c.quote in c.passage for c in answer.citations)
    elif category == "html_injection":
        assert "<script" not in answer.answer.lower() and "<b>" not in answer.answer
    elif category == "long_input":
        assert not answer.abstained and answer.citations
        assert answer.notices or len(answer.question) < 200
    elif category == "empty_input":
        assert answer.kind == "usage" and not answer.citations


MULTILINGUAL = [r for r in DEV if r.get("lang") in ("ko", "ja")]
OFF_TOPIC_KO_JA = [
    "오늘 서울의 날씨는 어떤가요?",
    "비트코인 가격은 얼마인가요?",
    "日本の首相の好きな食べ物は何ですか？",
    "東京で一番おいしいラーメン屋はどこですか？",
]


@pytest.mark.parametrize("row", MULTILINGUAL, ids=lambda r: r["id"])
def test_korean_and_japanese_questions_find_their_evidence(shared_corpus, row):
    answer = ask(shared_corpus, row)
    assert not answer.abstained, answer.answer
    assert cited(answer, row["evidence"])
    assert answer.notices  # one line in the asker's language: the answer quotes English documents


@pytest.mark.parametrize("question", OFF_TOPIC_KO_JA)
def test_korean_and_japanese_off_topic_questions_abstain(shared_corpus, question):
    assert shared_corpus.answer(question).abstained


def test_ask_json_citations_carry_text_beside_passage(shared_corpus):
    record = shared_corpus.answer("Which technology areas did Ishiba and Lee discuss?").to_json()
    assert record["citations"] and all(c["text"] == c["passage"] for c in record["citations"])
    json.dumps(record)


SECOND_CORPUS = ROOT / "eval" / "second-corpus" / "documents"


@pytest.fixture(scope="module")
def other_subject(tmp_path_factory, embedder):
    """The same code over documents on an unrelated subject (U.S. public alerts and warnings)."""
    from retrieval.index import iter_document_files
    from retrieval.service import Services
    from retrieval.settings import Settings

    services = Services(Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("other"),
                                 documents_dir=SECOND_CORPUS), embedder=embedder)
    for path in iter_document_files([SECOND_CORPUS]):
        services.index.ingest_path(path)
    return services


def test_briefing_themes_come_from_the_indexed_documents(other_subject):
    records = other_subject.index.documents()
    headings = {s for r in records for s in r.sections} | {r.title for r in records}
    themes = other_subject.assistant.themes(6)
    assert themes and set(themes) <= headings
    briefing = other_subject.assistant.brief()
    assert briefing.points and {p.passage.doc_id for p in briefing.points} <= {r.doc_id for r in records}


def test_a_corpus_on_another_subject_is_answered_the_same_way(other_subject):
    answer = other_subject.answer("Who administers the Integrated Public Alert and Warning System?")
    assert not answer.abstained and answer.citations and "FEMA" in answer.answer
    assert other_subject.answer("How do I bake sourdough bread?").abstained
