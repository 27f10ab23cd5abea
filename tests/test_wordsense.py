"""Questions put in other words than the sentence that answers them ("staff": "employees").

The document is made up here, so nothing rests on the shipped corpus: a figure asked about in
other words is still found beside what it counts, and a figure of something else is still not
taken for it.
"""

from __future__ import annotations

import pytest

from retrieval.keyword import tokenize
from retrieval.wordsense import RelatedWords
from tests.conftest import services_over

REPORT = """---
title: Harbour Renewal Progress Report
publisher: Port Authority of Kerrow
date: 2026-03-02
---

# Harbour Renewal Progress Report

The Port Authority of Kerrow obligated 4 million euros to repair the breakwater by hiring a crew of six new
Harbour Department employees who will work only on the seawall.

The authority estimates that every year the new seawall will protect up to 1,200 homes from winter flooding.

Ferry crossings to the islands rose to 310 a week after the new pier opened.

Behind the seawall, the authority has restored 300 hectares of wetlands for migrating birds.

Stonehaven has replaced 3,000 harbour mooring posts since 2020.
"""

MEMBERS = """---
title: Harbour Renewal Programme Members
publisher: Port Authority of Kerrow
date: 2026-03-02
---

Ardmore joined the authority's harbour renewal programme last year, and Stonehaven has been a member since 2019.
"""


def test_words_that_mean_a_question_word_are_found(embedder):
    words = RelatedWords(embedder)
    asked = {tokenize(w)[0]: w for w in ("staff", "newborns")}
    found = words.related(asked, ["The town hired four new employees.", "Up to 900 infants were spared."], 0.7)
    assert "employe" in found["staff"] and "infant" in found["newborn"]
    assert not found["staff"].keys() & {"town", "hire", "spare"} and not found["newborn"].keys() & {"town", "employe"}
    assert all(0.7 <= sim <= 1.0 for close in found.values() for sim in close.values())
    assert words.related(asked, ["The town hired four new employees."], 1.01) == {}  # switched off


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    return services_over(tmp_path_factory.mktemp("wordsense"), embedder, {"harbour.md": REPORT, "members.md": MEMBERS})


@pytest.mark.parametrize("question, figure", [
    ("How many extra staff did the Kerrow port authority take on just for mending the breakwater?", "six"),
    ("By the authority's estimate, how many houses will the new seawall shield from flooding each year?", "1,200"),
    # "Hands", "sign up" and "patch" are not the report's words, only near in meaning to
    # "employees", "hiring" and "repair": they count in part.
    ("How many new hands did the Kerrow port authority sign up solely to patch the breakwater?", "six"),
    # No document says "marshland": the figure before a word near it in meaning answers.
    ("How much marshland has the Kerrow port authority restored behind the seawall?", "300 hectares"),
])
def test_a_figure_asked_for_in_other_words_is_quoted(services, question, figure):
    answer = services.answer(question)
    assert not answer.abstained, answer.answer
    assert figure in answer.answer and answer.citations


@pytest.mark.parametrize("question", [
    "How many tugboats does the Kerrow port authority own?",  # a thing no document names
    "How many harbour mooring posts has Ardmore replaced?",  # another town's figure; Ardmore is named elsewhere
])
def test_a_figure_of_something_else_is_not_taken_for_the_one_asked(services, question):
    answer = services.answer(question)
    assert answer.abstained, answer.answer


def test_a_name_no_document_uses_is_said_as_written_without_the_word_opening_the_question(services):
    answer = services.answer("Has Pyongyang hired new employees to repair its breakwater?")
    assert answer.abstained and "“Pyongyang”" in answer.answer and "Has Pyongyang" not in answer.answer, answer.answer
