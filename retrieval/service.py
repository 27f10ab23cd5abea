"""The answering core's front door: `Assistant.answer(question, history) -> Answer`.

Used alike by the CLI, the terminal chat, the Telegram bot and the tests. It knows nothing
of where a question came from.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from .answer import (Answer, abstain, check_citations, cite, compose_extractive, covers_topic, is_supported,
                     select_briefing_points, select_sentences)
from .crosslingual import CrossLingualRetriever
from .database import Database
from .embedding import Embedder, make_embedder
from .followup import needs_context, standalone_query
from .generation import GenerationError, Generator, ModelUnavailable, OnText
from .hygiene import clean_question, question_language
from .index import Index
from .intents import (FABRICATION_LEAD, FABRICATION_NOTHING, GREETING_REPLY, INSTRUCTIONS_REPLY, classify,
                      fabrication_topic, reaches_for_instructions)
from .keyword import tokenize
from .multilingual import MultilingualVectors, MultilingualWorker
from .originals import CORE_SCHEMA
from .search import Passage, Retrieval, Retriever
from .settings import Settings, apply_process_environment
from .store import make_store

log = logging.getLogger(__name__)

_THEME_OVERLAP = 0.5  # section headings sharing this share of words are one theme


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
# Said when documents were left out of a Korean/Japanese search because their multilingual
# vectors are still being computed (in the background, or with `python -m retrieval multilingual`).
PENDING_NOTES = {
    "ko": "최근 추가된 문서 {n}건은 한국어·일본어 검색 준비가 아직 끝나지 않아 이번 답변에는 포함되지 않았습니다.",
    "ja": "最近追加された文書{n}件は韓国語・日本語検索の準備がまだ終わっていないため、この回答には含まれていません。",
}
MODEL_UNAVAILABLE = "The language model is unavailable right now, so this answer quotes the documents directly."


class Assistant:
    def __init__(self, settings: Settings, index: Index, retriever: Retriever,
                 crosslingual: CrossLingualRetriever | None = None, generator: Generator | None = None) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever
        self.crosslingual = crosslingual
        self.generator = generator

    def answer(self, question: str, history: Sequence[str] = (), on_text: OnText | None = None) -> Answer:
        """The answer to a question, given the user's earlier questions (oldest first).

        `on_text` receives a generated answer's text as it streams (unvalidated, without
        citation markers); the returned Answer is the validated one.
        """
        cleaned = clean_question(question, self.settings.max_question_chars)
        if cleaned.error:
            return Answer(question="", answer=cleaned.error, abstained=True, kind="usage", notices=cleaned.notices)
        text = cleaned.text
        intent = classify(text)
        if intent == "greeting":
            result = Answer(text, GREETING_REPLY, abstained=True, kind="usage")
        elif intent == "fabrication":
            result = self._decline_fabrication(text)
        else:
            result = self._answer(text, history, on_text)
            if result.abstained and not result.citations and reaches_for_instructions(text):
                result = Answer(text, INSTRUCTIONS_REPLY, [], result.passages, abstained=True, kind="refusal")
        result.notices = cleaned.notices + result.notices
        return result

    def _answer(self, text: str, history: Sequence[str], on_text: OnText | None) -> Answer:
        language = question_language(text)
        notices: list[str] = []
        query, context = text, list(history)
        if self.generator is not None and (language or (history and needs_context(text))):
            try:  # the model resolves the follow-up and translates the question for retrieval
                query, context = self.generator.condense(text, history), []
            except GenerationError:
                pass  # the word-level reading of follow-ups and cross-lingual search still work
        retrieval = self.retrieve(query, history=context)
        if self.generator is not None and is_supported(retrieval, self.settings.answer_max_sentences):
            try:
                attributed = self.generator.answer(text, retrieval.passages, language, on_text)
                if attributed is None:
                    result = abstain(text, retrieval.passages)
                else:
                    result = Answer(text, attributed.text, attributed.citations, retrieval.passages, generated=True)
                    check_citations(result)
            except GenerationError as e:
                result = compose_extractive(text, retrieval, self.settings.answer_max_sentences)
                if isinstance(e, ModelUnavailable):
                    notices.append(MODEL_UNAVAILABLE)
        else:
            # Also when the documents do not answer: the decline says what they lack and what they
            # do say, without a model call.
            result = compose_extractive(text, retrieval, self.settings.answer_max_sentences)
        if language in LANGUAGE_NOTES and not result.generated:
            notices.append(LANGUAGE_NOTES[language])
        if retrieval.pending_documents and language in PENDING_NOTES:
            notices.append(PENDING_NOTES[language].format(n=retrieval.pending_documents))
        result.notices = notices + result.notices
        return result

    def retrieve(self, query: str, k: int | None = None, history: Sequence[str] = ()) -> Retrieval:
        """Hybrid search; Korean and Japanese queries go through the multilingual model."""
        k = k or self.settings.top_k
        if self.crosslingual is not None and question_language(query) in LANGUAGE_NOTES:
            return self.crosslingual.retrieve(standalone_query(query, history), k)
        return self.retriever.retrieve(query, k, history)

    def _decline_fabrication(self, question: str) -> Answer:
        """Refuse to invent, but show what the documents actually say on the subject."""
        retrieval = self.retriever.retrieve(fabrication_topic(question) or question, self.settings.top_k)
        picked = select_sentences(retrieval.passages, 2)
        if not picked or not is_supported(retrieval):
            return Answer(question, FABRICATION_NOTHING, [], retrieval.passages, abstained=True, kind="refusal")
        result = cite(question, picked, retrieval.passages, lead=FABRICATION_LEAD + " What they do say:")
        result.abstained, result.kind = True, "refusal"
        return result

    def brief(self, topic: str | None = None, max_points: int = 6) -> Briefing:
        """3–6 cited points across the documents: on a topic, or across the main themes."""
        if self.generator is not None:
            try:
                return self._generated_brief(topic, max_points)
            except GenerationError:
                pass  # the extractive briefing below is always available
        points: list[BriefingPoint] = []
        if topic:
            retrieval = self.retrieve(topic, max(self.settings.top_k, 8))
            if covers_topic(retrieval):
                points = [BriefingPoint(s.text, p) for p, s in select_briefing_points(retrieval.passages, max_points)]
            return Briefing(topic, points)
        for theme in self.themes(max_points):
            retrieval = self.retriever.retrieve(theme, self.settings.top_k)
            if not covers_topic(retrieval):
                continue
            for passage, sentence in select_briefing_points(retrieval.passages, 1, exclude={p.text for p in points}):
                points.append(BriefingPoint(sentence.text, passage))
        return Briefing("main themes", points)

    def themes(self, limit: int) -> list[str]:
        """The main themes, from the documents themselves: their section headings (newest
        documents first, near-repeats merged), else their titles."""
        records = self.index.documents()
        headings = [s for r in records for s in r.sections] or [r.title for r in records]
        themes: list[str] = []
        seen: list[set[str]] = []
        for heading in headings:
            words = set(tokenize(heading))
            if not words or any(len(words & w) / min(len(words), len(w)) >= _THEME_OVERLAP for w in seen):
                continue
            themes.append(heading)
            seen.append(words)
        return themes[:limit]

    def _generated_brief(self, topic: str | None, max_points: int) -> Briefing:
        passages: list[Passage] = []
        if topic:
            retrieval = self.retrieve(topic, max(self.settings.top_k, 8))
            if not covers_topic(retrieval):
                return Briefing(topic, [])
            passages = retrieval.passages
        else:
            seen: set[str] = set()
            for theme in self.themes(max_points):
                retrieval = self.retriever.retrieve(theme, 2)
                if covers_topic(retrieval):
                    passages += [p for p in retrieval.passages if p.chunk_id not in seen]
                    seen.update(p.chunk_id for p in retrieval.passages)
        if not passages:
            return Briefing(topic or "main themes", [])
        attributed = self.generator.brief(topic or "the main themes of these documents", passages, max_points,
                                          question_language(topic or ""))
        by_chunk = {p.chunk_id: p for p in passages}
        points = [BriefingPoint(claim, by_chunk[cited[0].chunk_id]) for claim, cited in attributed.claims]
        return Briefing(topic or "main themes", points[:max_points])


class Services:
    """Everything the core needs, built once from settings; the model loads on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        apply_process_environment(settings)
        self.settings = settings
        self._embedder = embedder  # tests share one loaded model across many indexes
        self._lock = threading.Lock()
        self.database = Database.open(settings)
        self.database.migrate(CORE_SCHEMA)
        if settings.chroma_host and not settings.shares_database:
            log.warning(
                "CHROMA_HOST is set but DATABASE_URL is not: every process keeps its own SQLite file under "
                "DATA_DIR, so the lock that keeps processes from committing the same document twice, the "
                "uploaded originals and the bot's state are not shared. Point DATABASE_URL at one PostgreSQL "
                "database for all processes (postgresql://user:password@host:5432/name).")
        self.store = make_store(settings, settings.embedding_model, settings.multilingual_model)
        self.index = Index(settings, self.store, self.embedder, self.database)
        self.index.originals.import_folder(settings.files_dir)  # kept as files by earlier versions
        self.index.recover()
        self._assistant: Assistant | None = None
        self.crosslingual: CrossLingualRetriever | None = None
        self.multilingual: MultilingualVectors | None = None
        self._worker: MultilingualWorker | None = None
        if settings.multilingual_model:
            self.crosslingual = CrossLingualRetriever(self.index)
            self.multilingual = MultilingualVectors(self.index)
            # Other processes' vectors are seen within a second; this process's at once.
            self.multilingual.on_ready(lambda record: self.crosslingual.invalidate())
            if not self.store.read_only_reason:
                # The vectors used to be cached in a file here; they live in the index now.
                shutil.rmtree(settings.data_dir / "multilingual", ignore_errors=True)
        # Built now, so that a missing key or a broken prompt file stops start-up with a clear message.
        self.generator = self._generator() if settings.answer_mode == "llm" else None

    def _generator(self) -> Generator:
        similarity = self.crosslingual.similarity if self.crosslingual else None
        return Generator(self.settings, similarity=similarity)

    def start_background(self) -> None:
        """For long-running processes (the bot, the terminal chat): compute the multilingual
        vectors of documents that lack them in a background thread, now and after every change."""
        if self.multilingual is None or self.store.read_only_reason or self._worker is not None:
            return
        self._worker = MultilingualWorker(self.multilingual)
        self._worker.start()

    def stop_background(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.settings)
            return self._embedder

    @property
    def assistant(self) -> Assistant:
        if self._assistant is None:
            self._assistant = Assistant(self.settings, self.index, Retriever(self.index, self.embedder()),
                                        self.crosslingual, self.generator)
        return self._assistant

    def answer(self, question: str, history: Sequence[str] = (), on_text: OnText | None = None) -> Answer:
        return self.assistant.answer(question, history, on_text)


__all__ = ["Answer", "Assistant", "Briefing", "BriefingPoint", "Services", "abstain"]
