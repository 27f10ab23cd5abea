"""Which sentence answers: what a question asks for may stand in the sentence after the one
that best matches it, when that sentence carries the same subject on ("It won $3 million to
replace the village's 1,800 lines", "The meeting was canceled due to …"), and not when it
comments on it ("This decision …").

The documents are made up here, so nothing rests on the shipped corpus.
"""

from __future__ import annotations

import pytest

from retrieval.evidence import ANSWERED, UNSTATED, Candidate, judge, value_spans
from retrieval.question import NAME, analyse, years_in
from retrieval.thresholds import THRESHOLDS as T
from tests.conftest import services_over

NOTES = """---
title: Lead Line Replacement Notes
publisher: Fenwick County
date: 2026-01-10
---

The Village of Brackwater recently approved a resolution to remove all lead service lines within the village. It won a commitment from the state environmental agency for $3 million in principal loan forgiveness to begin the work of replacing the village's 1,800 lead service lines, and has promised to put its most vulnerable residents first in its plan.
"""

TOWNS = """---
title: Town Water Notes
publisher: Fenwick County
date: 2026-01-10
---

The Town of Ellery recently approved a resolution to remove all lead service lines within the town. This decision followed three years of debate among residents over who should pay for the pipes on private land.
"""


FERRY = """---
title: Island Transport Notes
publisher: Fenwick County
date: 2026-01-10
---

Harbour dues on the island were raised twice last year. The ferry operator lost two of its three vessels to engine failures over one winter. As a result, the crossing timetable has become less reliable. Passenger numbers rose by a tenth.

Safety notices on the island's ferries were first required in 1994 and have since changed. These changes include a map of the muster stations and a count of the lifejackets aboard.

Fenwick County is announcing a partnership with three towns—Ardmore, Belhaven and Corrie—for its Harbour Electric Ferry Pilot.
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    return services_over(tmp_path_factory.mktemp("evidence"), embedder,
                         {"notes.md": NOTES, "towns.md": TOWNS, "ferry.md": FERRY})


def test_a_figure_in_the_sentence_that_carries_the_best_one_on_answers(services):
    answer = services.answer("How many lead service lines does the Village of Brackwater have to replace?")
    assert not answer.abstained and "1,800" in answer.answer, answer.answer


def test_a_sentence_on_something_else_that_follows_does_not(services):
    # "This decision …" comments on the sentence before it rather than carrying its subject on;
    # its figure ("three years") is not the one asked for.
    answer = services.answer("How many lead service lines does the Town of Ellery have to replace?")
    assert answer.abstained and answer.answer.startswith("The documents don't give that figure"), answer.answer


def test_a_consequence_is_quoted_with_the_sentence_it_follows_from(services):
    # "As a result, …" matches the question; what it is the result of is the sentence before.
    answer = services.answer("Why has the ferry crossing timetable become less reliable?")
    assert not answer.abstained and "engine failures" in answer.answer, answer.answer


def test_a_sentence_is_quoted_with_the_one_that_carries_it_on(services):
    answer = services.answer("How have the ferry safety notices changed since they were first required?")
    assert not answer.abstained and "muster stations" in answer.answer, answer.answer


def test_names_given_as_the_kind_asked_for_answer_however_the_question_words_the_rest(services):
    # "pick" is in no document: the towns are named as towns, which is what "which towns" asks.
    answer = services.answer("Which towns did Fenwick County pick for the Harbour Electric Ferry Pilot?")
    assert not answer.abstained and "Belhaven" in answer.answer, answer.answer


@pytest.mark.parametrize("question, expected", [
    # "ships", "boat", "company", "cold", "happened": no document uses them, and any English text does.
    ("What happened to the ships of the boat company when it got cold?", "engine failures"),
    ("Which places will work with the county on the electric boat trial?", "Belhaven"),
])
def test_everyday_words_the_documents_do_not_use_are_a_paraphrase_not_a_missing_subject(services, question, expected):
    answer = services.answer(question)
    assert not answer.abstained and expected in answer.answer, answer.answer


def test_rare_words_the_documents_do_not_use_still_mean_they_do_not_cover_it(services):
    answer = services.answer("What did the county say about hydrofoil catamarans?")
    assert answer.abstained, answer.answer


def _candidate(index: int, text: str, score: float, typed: bool = False, cue: bool = False) -> Candidate:
    features = {"similarity": 0.6, "overlap": 0.5, "window": 0.5, "typed": float(typed), "cue": float(cue),
                "focus": 1.0, "named": 1.0, "asks": 1.0}
    return Candidate("doc:0001", "doc", "", index, text, 0, len(text), [features], [score], 0, score)


@pytest.mark.parametrize("follower, carried", [
    ("It won $3 million to replace the village's 1,800 lead lines.", True),
    ("This decision followed 3 years of debate about the 1,800 lead lines.", False),
])
def test_the_sentence_after_the_best_one_answers_when_it_carries_its_subject_on(follower, carried):
    question = analyse("How many lead lines does Brackwater have to replace?", [], lambda t: 1.0)
    best = _candidate(0, "Brackwater approved a plan to remove all lead lines in the village.", 4.0, typed=False)
    after = _candidate(1, follower, 4.0 - 2 * T.typed_within - 0.1, typed=True)
    [verdict] = judge(question, [best, after], [set()], 4)
    if carried:
        assert verdict.status == ANSWERED and after in verdict.picked
    else:
        assert verdict.status == UNSTATED


@pytest.mark.parametrize("follower, carried", [
    ("The meeting was canceled due to a dispute over fishing quotas.", True),
    ("Other talks were canceled due to a dispute over fishing quotas.", False),
])
def test_the_cause_asked_for_may_stand_in_the_sentence_carrying_the_best_one_on(follower, carried):
    question = analyse("Why was the harbour meeting called off?", [], lambda t: 1.0)
    best = _candidate(0, "Officials were to hold a harbour meeting in May to settle the quotas.", 4.0)
    after = _candidate(1, follower, 1.0, typed=True)
    [verdict] = judge(question, [best, after], [set()], 4)
    if carried:
        assert verdict.status == ANSWERED and best in verdict.picked and after in verdict.picked
    else:
        assert verdict.status == UNSTATED and verdict.missing == "the reason"


def test_a_fiscal_or_model_year_is_not_a_name():
    found = [v for v, _ in value_spans(NAME, "The FY2025 law, as amended in MY2027, binds the Harbour Trust and NASA.")]
    assert "FY2025" not in found and "MY2027" not in found
    assert {"Harbour", "NASA"} <= set(found)


COMPACT = ("---\ntitle: Orkney Tidal Compact\ndate: 2026-02-01\n---\n\nThe Orkney Tidal Compact funds a turbine array "
           "at Eday. Its budget is 40 million euros over five years. In 2025, the average output of its turbines "
           "was 31 gigawatt hours a month. The array was built at Eday because the seabed there is sheltered.\n")
HARBOUR = ("---\ntitle: Busan Harbour Note\ndate: 2026-03-01\n---\n\nThe port of Busan will host a joint Japan-Korea "
           "ammonia bunkering pilot in 2027. Its budget is 12 million euros.\n")


@pytest.fixture(scope="module")
def two_notes(tmp_path_factory, embedder):
    return services_over(tmp_path_factory.mktemp("topics"), embedder, {"orkney.md": COMPACT, "busan.md": HARBOUR})


@pytest.mark.parametrize("topic, expected", [
    # A subject, not a question: "power" is in no document, the passage on tidal turbines is about it.
    ("tidal power", "turbine array at Eday"),
    ("sourdough baking", None),
    ("the Quantum Sensing Pact", None),  # a name no document mentions
])
def test_a_briefing_topic_is_covered_by_the_passages_about_it(two_notes, topic, expected):
    points = [p.text for p in two_notes.assistant.brief(topic).points]
    assert (any(expected in p for p in points) if expected else points == []), points


def test_years_are_read_with_their_ranges():
    assert years_in("standards for model years 2027-2031 and FY2025–26") == {2025, 2026, 2027, 2028, 2029, 2030, 2031}
    assert years_in("$2025 million, 2,024 units, the 1990s") == set()


@pytest.mark.parametrize("year, answered", [(2025, True), (2026, False)])
def test_a_figure_of_another_year_does_not_answer(two_notes, year, answered):
    answer = two_notes.answer(f"What was the average output of the Orkney turbines in {year}?")
    if answered:
        assert not answer.abstained and "31 gigawatt hours" in answer.answer, answer.answer
    else:  # the 2025 figure is shown as what the documents do say, not as the answer
        assert answer.abstained and answer.answer.startswith("The documents don't give that figure"), answer.answer
        assert "31 gigawatt hours" in answer.answer


@pytest.mark.parametrize("question, reason", [
    ("Why was the Orkney turbine array built at Eday?", "because the seabed there is sheltered"),
    ("Why is the budget of the Orkney Tidal Compact 40 million euros?", None),
])
def test_a_why_question_is_answered_by_a_reason_or_not_at_all(two_notes, question, reason):
    answer = two_notes.answer(question)
    if reason:
        assert not answer.abstained and reason in answer.answer, answer.answer
    else:  # the sentence on the budget is shown, not passed off as its reason
        assert answer.abstained and answer.answer.startswith("The documents don't give the reason"), answer.answer
