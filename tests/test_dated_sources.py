"""Sources of different dates that give the same thing differently, asked about without "now"
or "still": both are shown, newest first, each with its date; another subject's figure is not.

The documents are made up here, so nothing rests on the shipped corpus.
"""

from __future__ import annotations

import pytest

from tests.conftest import services_over

SPRING = """---
title: Harbour Fund Spring Update
publisher: Coastal Office
date: 2025-03-10
---

# Harbour Fund Spring Update

In Portmere, $12 million from the Harbour Fund has put the town on track to rebuild every quay within five years.

The Lowtown breakwater repair has not been completed.

Lowtown received $5 million from the Harbour Fund to repair its breakwater.
"""

AUTUMN = """---
title: Harbour Fund Autumn Update
publisher: Coastal Office
date: 2025-10-02
---

# Harbour Fund Autumn Update

Quay rebuilding is underway in Portmere through a $9 million investment from the Harbour Fund.

The Lowtown breakwater repair was completed in September.

The fund's board meets twice a year to review progress.
"""


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    return services_over(tmp_path_factory.mktemp("dated"), embedder, {"spring.md": SPRING, "autumn.md": AUTUMN})


def test_a_figure_given_otherwise_by_an_older_source_is_shown_with_its_date(services):
    answer = services.answer("How much Harbour Fund money is Portmere's quay rebuilding getting?")
    assert not answer.abstained, answer.answer
    text = answer.answer
    assert text.startswith("As of 2025-10-02 (newest source):") and "$9 million" in text
    assert "Earlier, on 2025-03-10:" in text and "$12 million" in text
    assert text.index("$9 million") < text.index("$12 million")
    assert "Lowtown" not in text  # another town's figure is not an earlier value of this one


def test_one_source_alone_is_not_laid_out_by_date(services):
    answer = services.answer("How much Harbour Fund money did Lowtown receive for its breakwater?")
    assert "$5 million" in answer.answer and "Earlier" not in answer.answer and "As of" not in answer.answer


def test_whether_something_has_happened_is_answered_by_the_newest_source_first(services):
    # How things stand is what the newest source says; what an older one said is shown after it.
    text = services.answer("Has the Lowtown breakwater repair been completed?").answer
    assert text.startswith("As of 2025-10-02 (newest source):") and "completed in September" in text, text
    assert "Earlier, on 2025-03-10:" in text and text.index("completed in") < text.index("has not been completed")
