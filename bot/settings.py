"""The bot's settings: the core's, plus what Telegram needs. One object, one `.env`."""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from retrieval.settings import Settings


class BotSettings(Settings):
    telegram_bot_token: SecretStr = SecretStr("")
    admin_user_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # Empty means Telegram's own servers; tests point these at a Bot API on 127.0.0.1.
    telegram_api_base_url: str = ""
    telegram_file_base_url: str = ""
    timezone: str = "UTC"
    max_upload_mb: float = Field(10.0, gt=0, le=20)  # Telegram bots cannot download more than 20 MB
    history_turns: int = Field(6, ge=0, le=20)
    user_rate_limit_per_minute: int = Field(20, ge=1)
    poll_timeout: float = 10.0
    # A generated answer is shown while it is written by editing one message, at most this often
    # (Telegram allows about one edit per second in a chat, fewer in groups).
    stream_edit_interval_seconds: float = Field(1.5, ge=0.5)
    # Every bot process checks the shared subscriptions this often for briefings that are due
    # (a briefing is posted at most this long after its time).
    briefing_check_seconds: float = Field(20.0, ge=0.2, le=3600)
    # How long a reply is retried while Telegram answers 5xx or refuses connections.
    telegram_retry_seconds: float = Field(120.0, ge=0)

    # Inline mode (`@bot question` in any chat; enable it with BotFather's /setinline).
    # The same question within this many seconds is answered from memory, and Telegram is told
    # it may cache the result as long.
    inline_cache_seconds: int = Field(120, ge=0, le=3600)
    # Shorter queries get a hint instead of a search.
    inline_min_query_chars: int = Field(3, ge=1, le=100)
    # Telegram sends a query at every pause in typing: one is answered only when no newer one
    # from the same person arrived within this time.
    inline_debounce_seconds: float = Field(0.4, ge=0, le=5)

    # Webhook mode (instead of long polling) when WEBHOOK_URL is set: Telegram POSTs updates to
    # that public HTTPS URL, which a reverse proxy or load balancer forwards to
    # WEBHOOK_LISTEN:WEBHOOK_PORT of one or several bot processes.
    webhook_url: str = ""
    webhook_secret: SecretStr = SecretStr("")
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)

    @field_validator("webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ValueError("WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1 to 256 characters)")
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value):
        # ADMIN_USER_IDS=123,456 in .env; a JSON list also works.
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return json.loads(value)
            return [int(v) for v in value.replace(";", ",").split(",") if v.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def has_token(self) -> bool:
        return bool(self.telegram_bot_token.get_secret_value().strip())
