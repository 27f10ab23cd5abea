"""Answer quality on the dev question set, with every shipped document indexed.

Thresholds are the project's promises (README): evidence of ≥ 90% of the English in-scope
questions inside the passages the answer cites, no abstention on them, abstention on
questions the documents do not answer, 100% verbatim quotes. Korean and Japanese questions go
through the multilingual model (retrieval/crosslingual.py) and must find their evidence too.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import DEV_SET

ROWS = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]
IN_SCOPE = [r for r in ROWS if r["kind"] == "in_scope" and r.get("lang", "en") == "en"]
OUT_OF_SCOPE = [r for r in ROWS if r["kind"] == "out_of_scope"]

# Off-topic questions written for these tests (not from the dev set), to check the evidence gate.
OFF_TOPIC = [
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "Who won the 2018 FIFA World Cup?",
    "How do I reverse a linked list in Python?",
    "What's the weather like in Paris tomorrow?",
    "Recommend a good science fiction novel.",
    "What is the boiling point of water at sea level?",
    "How many calories are in a banana?",
]


def ask(services, row):
    question = row["question"] * row.get("repeat", 1)
    history = [row["context_question"]] if row.get("context_question") else []
    return services.answer(question, history)


def evidence_cited(answer, evidence) -> bool:
    pieces = evidence if isinstance(evidence, list) else [evidence]
    return all(any(p in c.passage for c in answer.citations) for p in pieces)


def test_in_scope_evidence_is_cited(shared_corpus):
    misses = []
    for row in IN_SCOPE:
        answer = ask(shared_corpus, row)
        if answer.abstained or not evidence_cited(answer, row["evidence"]):
            misses.append((row["id"], answer.answer[:200]))
    share = 1 - len(misses) / len(IN_SCOPE)
    assert share >= 0.9, f"evidence cited for {share:.0%} of in-scope questions; misses: {misses}"


def test_in_scope_is_answered_with_its_keywords(shared_corpus):
    """No false abstentions; the expected words appear in ≥ 85% of answers (measured: 12/13)."""
    misses = []
    for row in IN_SCOPE:
        answer = ask(shared_corpus, row)
        assert not answer.abstained, (row["id"], answer.answer)
        text = answer.answer.lower()
        if not any(re.search(rf"\b{re.escape(k.lower())}\b", text) for k in row["answer_keywords"]):
            misses.append(row["id"])
    assert 1 - len(misses) / len(IN_SCOPE) >= 0.85, misses


@pytest.mark.parametrize("question", OFF_TOPIC + [r["question"] for r in OUT_OF_SCOPE if r["category"] == "unrelated"])
def test_off_topic_abstains(shared_corpus, question):
    answer = shared_corpus.answer(question)
    assert answer.abstained and answer.kind == "abstain", answer.answer
    assert not answer.citations
    assert "couldn't find" in answer.answer


def test_unanswerable_author_question_abstains(shared_corpus):
    row = next(r for r in OUT_OF_SCOPE if r["id"] == "dev-018")
    answer = ask(shared_corpus, row)
    assert answer.abstained, answer.answer
    for phrase in row["must_be_absent"]:
        assert phrase not in answer.answer.lower()


def test_tariff_rate_is_answered_from_the_crs_brief_not_invented(shared_corpus):
    """dev-017 was written for the commentary alone; the shipped CRS brief does give rates.

    The answer must then quote the brief (dated), never a rate from nowhere.
    """
    row = next(r for r in OUT_OF_SCOPE if r["id"] == "dev-017")
    answer = ask(shared_corpus, row)
    if not answer.abstained:
        assert all("Congressional Research Service" in c.publisher for c in answer.citations), answer.citations
        assert "15%" in answer.answer


def test_every_quote_is_verbatim(shared_corpus):
    for row in ROWS:
        answer = ask(shared_corpus, row)
        for c in answer.citations:
            for piece in c.quote.split(" … "):
                assert piece in c.passage, (row["id"], piece)
        for n in re.findall(r"\[(\d+)\]", answer.answer):
            assert int(n) in {c.n for c in answer.citations}, (row["id"], answer.answer)


@pytest.mark.parametrize("row", [r for r in ROWS if r["kind"] == "adversarial"], ids=lambda r: r["id"])
def test_adversarial_inputs(shared_corpus, row):
    answer = ask(shared_corpus, row)
    category = row["category"]
    if category in ("prompt_injection", "fabrication"):
        assert answer.kind == "refusal" and answer.abstained
        assert "system prompt" not in answer.answer.lower()
        assert "“" not in answer.answer.split("What they do say:")[0]
    elif category == "html_injection":
        assert "<script" not in answer.answer.lower() and "<b>" not in answer.answer
    elif category == "long_input":
        assert not answer.abstained and answer.citations
        assert answer.notices or len(answer.question) < 200
    elif category == "empty_input":
        assert answer.kind == "usage" and not answer.citations


MULTILINGUAL = [r for r in ROWS if r.get("lang") in ("ko", "ja")]
# Written for these tests: questions in Korean and Japanese that the documents do not answer.
OFF_TOPIC_KO_JA = [
    "오늘 서울의 날씨는 어떤가요?",
    "비트코인 가격은 얼마인가요?",
    "양자 센싱 협정은 언제 체결되었나요?",
    "日本の首相の好きな食べ物は何ですか？",
    "東京で一番おいしいラーメン屋はどこですか？",
    "韓国のサッカー代表チームの監督は誰ですか？",
]


@pytest.mark.parametrize("row", MULTILINGUAL, ids=lambda r: r["id"])
def test_korean_and_japanese_questions_find_their_evidence(shared_corpus, row):
    answer = ask(shared_corpus, row)
    assert not answer.abstained, answer.answer
    assert any(row["evidence"] in p.text for p in answer.passages[:5])
    assert evidence_cited(answer, row["evidence"])
    assert answer.notices  # one line in the asker's language: the answer quotes English documents


@pytest.mark.parametrize("question", OFF_TOPIC_KO_JA)
def test_korean_and_japanese_off_topic_questions_abstain(shared_corpus, question):
    assert shared_corpus.answer(question).abstained
