"""Prompt templates, kept as files in `prompts/` so they can be read and changed without code.

Each template is loaded once and checked against the variables the code fills in: a template
that lost `{passages}` or gained an unknown `{name}` fails at start-up with the file's name,
not later as a confusing model answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from langchain_core.prompts import PromptTemplate

from .errors import ConfigurationError

EXPECTED = {
    "answer_system": {"max_sentences", "language_instruction"},
    "answer_user": {"passages", "question"},
    "condense": {"history", "question"},
    "briefing": {"topic", "passages", "max_points", "language_instruction"},
}


@dataclass(frozen=True)
class Prompts:
    answer_system: PromptTemplate
    answer_user: PromptTemplate
    condense: PromptTemplate
    briefing: PromptTemplate


def load_prompts(directory: Path) -> Prompts:
    templates = {}
    for name, expected in EXPECTED.items():
        path = Path(directory) / f"{name}.txt"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigurationError(f"Prompt file {path} could not be read ({e.strerror or e}); "
                                     "check PROMPTS_DIR.") from e
        try:
            template = PromptTemplate.from_template(text)
        except ValueError as e:  # unbalanced braces
            raise ConfigurationError(f"Prompt file {path} is not a valid template: {e}. "
                                     "Write literal braces as {{ and }}.") from e
        found = set(template.input_variables)
        if found != expected:
            missing, unknown = sorted(expected - found), sorted(found - expected)
            raise ConfigurationError(
                f"Prompt file {path} must use the variables {sorted(expected)}"
                + (f"; missing {missing}" if missing else "") + (f"; unknown {unknown}" if unknown else "")
                + ". Write literal braces as {{ and }}."
            )
        templates[name] = template
    return Prompts(**templates)
