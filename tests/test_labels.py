"""Questions about a document's own labels: its headline, the line under it, a section's heading,
a photo's caption and credit, the disclaimer, the dateline.

The documents are made up here (a news-style page and a numbered plan), so that nothing rests on
the shipped corpus; the label is taken from where the question points and cited like a sentence.
"""

from __future__ import annotations

import pytest

from retrieval.question import CAPTION, DATELINE, DISCLAIMER, HEADING, SUBTITLE, TITLE, label_asked
from tests.conftest import services_over

PAGE = """---
title: Tidal Turbines Will Power Half of Orkney by 2031, Council Says
publisher: Harbour Trust
date: 2026-05-04
---

# Tidal Turbines Will Power Half of Orkney by 2031, Council Says

May 4, 2026

The council expects the Eday array to cut household bills by a fifth within three years.

The Orkney council approved a tidal turbine array off Eday on Monday. Its forty turbines will be installed from 2027.

## Who Pays for the Array

The array costs 40 million euros, shared by the council and a regional investment bank. Fishing crews will be compensated for lost grounds.
"""

PLAN = """---
title: Coastal Flood Readiness Plan
publisher: Ministry of Coasts
date: 2025-11-20
---

# Coastal Flood Readiness Plan

The plan sets out how coastal towns prepare for storm surges over the next decade.

## 1. Early Warning for Every Harbour

Every harbour will have a surge gauge linked to the national warning service by 2027.

## 2. Raise and Repair the Sea Walls

Sea walls below the new design height will be raised, starting with the walls of Stromness.

## 3. Shelters Within Walking Distance

Each town will name a flood shelter within fifteen minutes' walk of every home.
"""

# A web page saved as text: image alt text, the photo's caption with its credit, a label line,
# title, standfirst, dateline, body, and the publisher's disclaimer at the end.
CAPTURE = """a lighthouse at dusk

The Eday lighthouse at dusk, seen from the ferry on March 3, 2026. (Photo by Ailsa Rendall/North Isles Press)

analysis

Why the Island Ferries Still Run on Diesel

The ferry fleet is ageing faster than the plan to replace it.

Published on April 2, 2026

Seven of the nine inter-island ferries are more than thirty years old. The replacement plan funds two hybrid vessels by 2029.

Crews say the older ships spend a month of every year in dry dock, and that spare parts now come from a single yard.

The Northern Isles Forum does not take institutional positions on public policy issues; the views represented herein are those of the author(s) and do not necessarily reflect the views of the Northern Isles Forum, its staff, or its trustees.
"""


# A report in the style of a research service: numbered figures and a table, each with its
# caption above and its source and notes below.
REPORT = """---
title: Inter-Island Freight Costs
publisher: Northern Isles Research Service
date: 2026-02-10
---

# Inter-Island Freight Costs

Freight rates between the islands rose by a third between 2019 and 2025. See Figure 1.

Figure 1. Freight Rates per Tonne, 2019-2025

Source: Northern Isles Research Service, using harbour authority tariff sheets.

Hauliers say fuel, not harbour dues, drove most of the rise. Table 1 lists the routes.

Table 1. Freight Routes and Operators

| Route | Operator | Sailings per week |
| --- | --- | --- |
| Kirkwall-Eday | Isles Freight | 6 |
| Kirkwall-Sanday | Isles Freight | 4 |

Source: Harbour authority timetables, January 2026.

Notes: Rows are sorted by the number of weekly sailings.

Figure 2. Share of Freight Carried by Ferry and by Barge

Source: Ferry operators' annual returns.
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    return services_over(tmp_path_factory.mktemp("labels"), embedder,
                         {"orkney-tidal.md": PAGE, "flood-plan.md": PLAN, "island-ferries.txt": CAPTURE,
                          "freight-costs.md": REPORT})


@pytest.mark.parametrize("question, kind", [
    ("What is the headline of the Harbour Trust piece on the Orkney turbines?", TITLE),
    ("What is the title of the flood readiness report?", TITLE),
    ("What does the subtitle under the headline say about household bills?", SUBTITLE),
    ("What is the one-line summary printed beneath the article's headline?", SUBTITLE),
    ("What is the heading of the part of the plan that deals with sea walls?", HEADING),
    ("What is section 3 of the flood plan called?", HEADING),
    # Not asking for a label: a person's title, a heading used to point, a section named.
    ("What title does the council leader hold?", ""),
    ("Under the heading 'Who Pays for the Array', who shares the cost?", ""),
    ("Which part of the plan is called the shelter pledge?", ""),
    ("Who took the photo at the top of the ferry analysis?", CAPTION),
    ("What is pictured above the headline?", CAPTION),
    ("What does the disclaimer at the end of the analysis say?", DISCLAIMER),
    ("Does the plan pay for photo-voltaic panels on the ferries?", ""),
    ("What does Figure 2 of the plan show?", CAPTION),
    ("What does the image at the top of the analysis show?", CAPTION),
    ("What image of the council does the article give?", ""),
    ("When was the ferry analysis last updated?", DATELINE),
    ("What is the publication date of the flood plan?", DATELINE),
    ("What date line is on the Harbour Trust piece?", DATELINE),
    ("When was the turbine array approved?", ""),  # when something in it happened
])
def test_what_asks_for_a_label(question, kind):
    assert label_asked(question) == kind


@pytest.mark.parametrize("question, label", [
    ("What is the headline of the Harbour Trust piece on the Orkney turbines?",
     "Tidal Turbines Will Power Half of Orkney by 2031, Council Says"),
    ("What is the line under the headline of the Harbour Trust article on the turbines?",  # not the dateline
     "The council expects the Eday array to cut household bills by a fifth within three years."),
    ("What is the heading of the part of the Harbour Trust article about what the array costs?",
     "Who Pays for the Array"),
    ("What is the heading of the section of the flood plan about raising sea walls?",
     "2. Raise and Repair the Sea Walls"),
    ("What is the heading of section 3 of the Coastal Flood Readiness Plan?", "3. Shelters Within Walking Distance"),
    ("What is the title of the flood readiness plan?", "Coastal Flood Readiness Plan"),
])
def test_a_label_asked_for_is_quoted_and_cited(services, question, label):
    answer = services.answer(question)
    assert not answer.abstained, answer.answer
    assert answer.answer == f"{label} [1]"
    assert answer.citations[0].quote == label and label in answer.citations[0].passage


def test_a_label_of_a_document_that_is_not_there_is_declined(services):
    answer = services.answer("What is the headline of the Daily Planet article on bird flu vaccines?")
    assert answer.abstained and answer.answer.startswith("I couldn't find anything on “Daily Planet”"), answer.answer


@pytest.mark.parametrize("question, expected", [
    ("Who took the photo of the lighthouse?", "Ailsa Rendall"),
    ("Which press agency is credited for the photo in the Northern Isles Forum analysis?", "North Isles Press"),
    ("What does the picture at the top of the ferry analysis show?", "The Eday lighthouse at dusk"),
    ("What does the disclaimer at the end of the ferry analysis say?", "does not take institutional positions"),
])
def test_a_caption_or_disclaimer_asked_about_is_quoted_whole(services, question, expected):
    answer = services.answer(question)
    assert not answer.abstained and expected in answer.answer, answer.answer
    assert answer.citations[0].quote in answer.citations[0].passage and expected in answer.citations[0].quote


@pytest.mark.parametrize("question, expected", [
    ("What is the caption of Figure 2 in the freight costs report?", "Figure 2. Share of Freight Carried by Ferry"),
    ("What is the source of Figure 2 of the freight report?", "Ferry operators' annual returns"),
    # The notes stand after the table itself, a passage or more below its caption.
    ("What do the notes to Table 1 of the freight report say about how the rows are ordered?",
     "sorted by the number of weekly sailings"),
])
def test_a_figures_caption_source_and_notes_are_found_by_its_number(services, question, expected):
    answer = services.answer(question)
    assert not answer.abstained and expected in answer.answer, answer.answer
    assert all(c.quote in c.passage for c in answer.citations)


def test_the_photo_of_a_document_without_one_is_not_another_documents(services):
    answer = services.answer("Who took the photo in the Harbour Trust piece on the turbines?")
    assert "Ailsa Rendall" not in answer.answer


def test_a_page_named_by_its_publisher_and_kind_gives_its_dateline(services):
    # "Northern Isles Forum" is only in the disclaimer, "analysis" only on the page's label line:
    # both point to the document, whose dateline says when it came out.
    answer = services.answer("When was the Northern Isles Forum analysis published?")
    assert not answer.abstained and "April 2, 2026" in answer.answer, answer.answer


@pytest.mark.parametrize("question", ["When was the Harbour Trust piece on the turbines published?",
                                      "What date line is on the Harbour Trust article about the tidal array?"])
def test_a_dateline_may_be_the_date_alone(services, question):
    # Under the title, "May 4, 2026" alone says when the page came out.
    answer = services.answer(question)
    assert not answer.abstained and answer.answer.startswith("May 4, 2026"), answer.answer
