"""Generated answers through a LangChain chat model, validated before anyone sees them.

The model gets the retrieved passages numbered and fenced as untrusted text, and the prompts
from `prompts/`. Whatever it writes goes through `attribution.attribute`: citations that do
not hold are re-attributed or their sentences dropped. Any failure (timeout, HTTP error,
refused connection, malformed or empty output) raises `GenerationError`, on which the caller
falls back to the extractive answer: the bot never goes silent because a model did.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable, Sequence

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from .attribution import Attributed, Similarity, attribute, strip_markers
from .errors import ConfigurationError, RetrievalError
from .followup import MAX_HISTORY
from .hygiene import redact_secrets
from .prompts import Prompts, load_prompts
from .search import Passage
from .settings import Settings

log = logging.getLogger(__name__)

NOT_IN_DOCUMENTS = "NOT_IN_DOCUMENTS"
LANGUAGE_NAMES = {"ko": "Korean", "ja": "Japanese"}

# Receives the answer text so far while the model streams (markers stripped: unvalidated).
OnText = Callable[[str], None]


class GenerationError(RetrievalError):
    """The language model could not produce a usable answer; the caller falls back."""


class ModelUnavailable(GenerationError):
    """The model could not be reached or failed (timeout, HTTP error, refused connection)."""


def make_chat_model(settings: Settings) -> BaseChatModel:
    """A LangChain chat model for the configured provider, with timeouts and retries set."""
    provider = settings.resolved_llm_provider
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=settings.llm_model, base_url=settings.ollama_base_url or None,
            temperature=settings.llm_temperature, num_predict=settings.llm_max_tokens,
            client_kwargs={"timeout": settings.llm_timeout_seconds},
        )
    key = settings.openai_api_key.get_secret_value()
    if not key and not settings.openai_base_url:
        raise ConfigurationError(
            "ANSWER_MODE=llm needs a model: set OPENAI_API_KEY (OpenAI), OPENAI_BASE_URL (a vLLM, "
            "llama.cpp or LM Studio server) or OLLAMA_BASE_URL (Ollama); or use ANSWER_MODE=extractive."
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.llm_model, api_key=key or "not-needed", base_url=settings.openai_base_url or None,
        temperature=settings.llm_temperature, max_tokens=settings.llm_max_tokens,
        timeout=settings.llm_timeout_seconds, max_retries=settings.llm_max_retries,
    )


def format_passages(passages: Sequence[Passage]) -> str:
    """Numbered, labelled passages; a passage cannot close its own fence."""
    blocks = []
    for n, p in enumerate(passages, 1):
        label = "; ".join(x for x in (p.title, p.publisher, p.date, p.section) if x)
        body = re.sub(r"</?\s*passage\b[^>]*>", "", p.text, flags=re.I)
        blocks.append(f'<passage n="{n}" source="{html.escape(label)}">\n{body}\n</passage>')
    return "\n\n".join(blocks)


def language_instruction(language: str) -> str:
    name = LANGUAGE_NAMES.get(language)
    if not name:
        return "Answer in English."
    return (f"The question is in {name}: answer in {name}. The passages are in English: when you "
            "quote them, keep the quotation in English, in double quotation marks.")


class Generator:
    def __init__(self, settings: Settings, model: BaseChatModel | None = None,
                 prompts: Prompts | None = None, similarity: Similarity | None = None) -> None:
        self.settings = settings
        self.model = model or make_chat_model(settings)
        self.prompts = prompts or load_prompts(settings.prompts_dir)
        self.similarity = similarity

    def condense(self, question: str, history: Sequence[str]) -> str:
        """A standalone English search question for a follow-up or a non-English question."""
        prompt = self.prompts.condense.format(
            history="\n".join(f"- {h}" for h in history[-MAX_HISTORY:]) or "(none)", question=question)
        text = self._complete([HumanMessage(prompt)], None).strip().splitlines()
        rewritten = text[0].strip().strip('"') if text else ""
        if not rewritten or len(rewritten) > 4 * len(question) + 200:
            raise GenerationError("the model returned no usable rewrite")
        return rewritten

    def answer(self, question: str, passages: Sequence[Passage], language: str = "",
               on_text: OnText | None = None) -> Attributed | None:
        """The validated answer, or None when the model says the passages do not answer it."""
        system = self.prompts.answer_system.format(
            max_sentences=self.settings.answer_max_sentences + 1, language_instruction=language_instruction(language))
        user = self.prompts.answer_user.format(passages=format_passages(passages), question=question)
        text = self._complete([SystemMessage(system), HumanMessage(user)], on_text)
        if NOT_IN_DOCUMENTS in text:
            return None
        return self._validated(text, passages)

    def brief(self, topic: str, passages: Sequence[Passage], max_points: int, language: str = "") -> Attributed:
        prompt = self.prompts.briefing.format(topic=topic, passages=format_passages(passages), max_points=max_points,
                                              language_instruction=language_instruction(language))
        text = self._complete([HumanMessage(prompt)], None)
        bullets = "\n".join(re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line) for line in text.splitlines())
        return self._validated(bullets, passages)

    def _validated(self, text: str, passages: Sequence[Passage]) -> Attributed:
        result = attribute(text, passages, self.similarity)
        if result.dropped or result.reattributed:
            log.info("generated answer: %d sentences kept, %d dropped, %d re-attributed",
                     result.kept, result.dropped, result.reattributed)
        if not result.citations:
            raise GenerationError("no sentence of the generated answer is supported by a passage")
        return result

    def _complete(self, messages: list, on_text: OnText | None) -> str:
        started = time.monotonic()
        try:
            if self.settings.llm_streaming and on_text is not None:
                parts: list[str] = []
                for chunk in self.model.stream(messages):
                    parts.append(_text(chunk.content))
                    on_text(_draft("".join(parts)))
                text = "".join(parts)
            else:
                text = _text(self.model.invoke(messages).content)
        except Exception as e:  # any provider failure means the same thing here: fall back
            reason = redact_secrets(f"{type(e).__name__}: {e}")[:300]
            log.warning("language model failed after %.1fs: %s", time.monotonic() - started, reason)
            raise ModelUnavailable(reason) from e
        if not text.strip():
            raise ModelUnavailable("the model returned an empty answer")
        return text


def _draft(text: str) -> str:
    """Streamed text fit to show: no citation markers, not even a half-written one ("[1")."""
    return strip_markers(re.sub(r"\s*\[[\d,;\s–-]*$", "", text))


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    raise ModelUnavailable(f"unexpected model output of type {type(content).__name__}")

