"""The answering core's front door: `Assistant.answer(question, history) -> Answer`.

Used alike by the CLI, the terminal chat, the Telegram bot and the tests. It knows nothing
of where a question came from.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from .answer import Answer, abstain, cite, compose_extractive, select_briefing_points, select_sentences
from .embedding import Embedder, make_embedder
from .followup import standalone_query
from .hygiene import clean_question
from .index import Index
from .intents import FABRICATION_LEAD, FABRICATION_NOTHING, GREETING_REPLY, INJECTION_REPLY, classify, fabrication_topic
from .search import Passage, Retriever
from .settings import Settings, apply_process_environment
from .store import make_store

log = logging.getLogger(__name__)

BRIEFING_THEMES = (
    "technology cooperation between Japan and South Korea in AI, hydrogen and robotics",
    "aging populations, labor shortages and age-tech",
    "startup ecosystems and venture ties",
    "domestic politics in South Korea and Japan",
    "the role of the United States, trade and tariffs",
    "security cooperation and the alliance",
)


@dataclass
class BriefingPoint:
    text: str  # one verbatim sentence
    passage: Passage
    new: bool = False  # not in the previous briefing for the same audience


@dataclass
class Briefing:
    topic: str
    points: list[BriefingPoint] = field(default_factory=list)


LANGUAGE_NOTES = {
    "ko": "문서는 영어로 되어 있어 답변과 인용은 영어로 제공됩니다. 영어로 질문하시면 더 정확한 답을 드릴 수 있습니다.",
    "ja": "文書は英語のため、回答と引用は英語で表示されます。英語で質問するとより正確に答えられます。",
}


def question_language(text: str) -> str:
    """'ko', 'ja' or '' — by script, which is all a one-line note needs."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7a3]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "ja"
    return ""


class Assistant:
    def __init__(self, settings: Settings, index: Index, retriever: Retriever) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        cleaned = clean_question(question, self.settings.max_question_chars)
        if cleaned.error:
            return Answer(question="", answer=cleaned.error, abstained=True, kind="usage", notices=cleaned.notices)
        text = cleaned.text
        intent = classify(text)
        if intent == "injection":
            result = Answer(text, INJECTION_REPLY, abstained=True, kind="refusal")
        elif intent == "greeting":
            result = Answer(text, GREETING_REPLY, abstained=True, kind="usage")
        elif intent == "fabrication":
            result = self._decline_fabrication(text)
        else:
            query = standalone_query(text, history)
            retrieval = self.retriever.retrieve(query, self.settings.top_k)
            result = compose_extractive(text, retrieval, self.settings.answer_max_sentences)
            language = question_language(text)
            if language in LANGUAGE_NOTES:
                result.notices.append(LANGUAGE_NOTES[language])
        result.notices = cleaned.notices + result.notices
        return result

    def _decline_fabrication(self, question: str) -> Answer:
        """Refuse to invent, but show what the documents actually say on the subject."""
        retrieval = self.retriever.retrieve(fabrication_topic(question) or question, self.settings.top_k)
        picked = select_sentences(retrieval.passages, 2)
        if not picked or compose_extractive(question, retrieval, 2).abstained:
            return Answer(question, FABRICATION_NOTHING, [], retrieval.passages, abstained=True, kind="refusal")
        result = cite(question, picked, retrieval.passages, lead=FABRICATION_LEAD + " What they do say:")
        result.abstained, result.kind = True, "refusal"
        return result

    def brief(self, topic: str | None = None, max_points: int = 6) -> Briefing:
        """3–6 cited points across the documents: on a topic, or one per main theme."""
        points: list[BriefingPoint] = []
        if topic:
            retrieval = self.retriever.retrieve(topic, max(self.settings.top_k, 8))
            if not compose_extractive(topic, retrieval, 1).abstained:
                points = [BriefingPoint(s.text, p) for p, s in select_briefing_points(retrieval.passages, max_points)]
            return Briefing(topic, points)
        for theme in BRIEFING_THEMES[:max_points]:
            retrieval = self.retriever.retrieve(theme, self.settings.top_k)
            if compose_extractive(theme, retrieval, 1).abstained:
                continue
            for passage, sentence in select_briefing_points(retrieval.passages, 1, exclude={p.text for p in points}):
                points.append(BriefingPoint(sentence.text, passage))
        return Briefing("main themes", points)


class Services:
    """Everything the core needs, built once from settings; the model loads on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        apply_process_environment(settings)
        self.settings = settings
        self._embedder = embedder  # tests share one loaded model across many indexes
        self._lock = threading.Lock()
        self.store = make_store(settings, settings.embedding_model)
        self.index = Index(settings, self.store, self.embedder)
        self.index.recover()
        self._assistant: Assistant | None = None

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.settings)
            return self._embedder

    @property
    def assistant(self) -> Assistant:
        if self._assistant is None:
            self._assistant = Assistant(self.settings, self.index, Retriever(self.index, self.embedder()))
        return self._assistant

    def answer(self, question: str, history: Sequence[str] = ()) -> Answer:
        return self.assistant.answer(question, history)


__all__ = ["Answer", "Assistant", "Briefing", "BriefingPoint", "Services", "abstain"]
