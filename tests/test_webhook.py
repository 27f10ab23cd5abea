"""Webhook mode: `python -m bot` as deployed, started by the tests of several processes behind one
webhook URL (test_scale_out.py, which also checks the secret header), and the settings it needs."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

import pytest

from bot.app import webhook_options
from retrieval.errors import ConfigurationError
from tests.botapi_emulator import BotApiEmulator
from tests.conftest import DOCUMENTS, ROOT
from tests.test_bot import ADMIN, TOKEN

SECRET = "s3cret-for-tests_only"


def start_bot_process(emu: BotApiEmulator, data_dir, chroma_port: int, port: int, log,
                      **settings: str) -> subprocess.Popen:
    """`python -m bot` in webhook mode; `settings` are further environment variables. Its own
    session, so that it and its upload worker can be killed together (`os.killpg`)."""
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "DEBUG",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_FILE_BASE_URL": emu.base_file_url, "ADMIN_USER_IDS": str(ADMIN),
        "DATA_DIR": str(data_dir), "DOCUMENTS_DIR": str(DOCUMENTS), "MULTILINGUAL_MODEL": "",
        "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port), "CHROMA_COLLECTION_PREFIX": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram", "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port), **settings,
    }
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


async def listening(port: int, proc: subprocess.Popen, log_path, timeout: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"bot exited: {log_path.read_text()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise AssertionError("the bot did not start listening")


def test_webhook_mode_requires_a_secret(tmp_path):
    from bot.settings import BotSettings

    settings = BotSettings(_env_file=None, data_dir=tmp_path, webhook_url="https://bot.example.org/telegram")
    with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
        webhook_options(settings)
    with pytest.raises(ValueError, match="WEBHOOK_SECRET may only use"):
        BotSettings(_env_file=None, webhook_secret="has spaces")
