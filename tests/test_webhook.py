"""Webhook mode and scale-out: two bot processes (`python -m bot`, as deployed) behind one
webhook URL, sharing a real Chroma server (`chroma run`). The emulator delivers updates the way
Telegram does (POST with the secret header), alternating between the two like a load balancer."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import aiohttp
import pytest

from bot.app import webhook_options
from retrieval.errors import ConfigurationError
from retrieval.index import iter_document_files
from tests.botapi_emulator import BotApiEmulator
from tests.conftest import DOCUMENTS, ROOT, free_port
from tests.test_bot import ADMIN, TOKEN

SECRET = "s3cret-for-tests_only"
NOTE = (b"Busan Harbour Note\n\nThe Busan harbour note says that the port of Busan will host a joint "
        b"Japan-Korea ammonia bunkering pilot in 2027.")


def start_bot_process(emu: BotApiEmulator, data_dir, chroma_port: int, port: int, log) -> subprocess.Popen:
    env = {
        **os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "DEBUG",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_FILE_BASE_URL": emu.base_file_url, "ADMIN_USER_IDS": str(ADMIN),
        "DATA_DIR": str(data_dir), "DOCUMENTS_DIR": str(DOCUMENTS), "MULTILINGUAL_MODEL": "",
        "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port), "CHROMA_COLLECTION_PREFIX": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram", "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_LISTEN": "127.0.0.1", "WEBHOOK_PORT": str(port),
    }
    return subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


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


@pytest.fixture
async def two_bots(tmp_path, chroma_server, make_services):
    services = make_services(data_dir=tmp_path / "seed", chroma_host="127.0.0.1", chroma_port=chroma_server,
                             chroma_collection_prefix="webhook")
    if not services.index.documents():
        for path in iter_document_files([DOCUMENTS]):
            services.index.ingest_path(path)
    emu = await BotApiEmulator(TOKEN).start()
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"bot-{name}.log" for name in "ab"]
    procs = [start_bot_process(emu, tmp_path / name, chroma_server, port, open(log, "wb"))
             for name, port, log in zip("ab", ports, logs)]
    try:
        for port, proc, log in zip(ports, procs, logs):
            await listening(port, proc, log)
        await emu.wait_for(lambda: emu.calls.get("setWebhook", 0) >= 2, timeout=30)
        emu.webhook_backends = [f"http://127.0.0.1:{port}/telegram" for port in ports]  # the load balancer
        yield emu, emu.webhook_backends, logs
    finally:
        for proc in procs:  # SIGTERM: PTB stops taking updates, finishes handlers, then exits
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await emu.stop()


async def test_two_webhook_bots_share_one_index(two_bots):
    emu, urls, logs = two_bots
    assert emu.webhook_url and emu.webhook_secret == SECRET  # registered by PTB's start_webhook
    admin = emu.user(ADMIN, "Admin", "admin_user")
    admin_chat = emu.private_chat(admin)
    emu.send_document(admin_chat, admin, "busan-note.txt", NOTE)  # → instance a
    await emu.wait_for(lambda: any("Added" in m.text for m in emu.messages(admin_chat.id)), timeout=90)
    alice = emu.user(3001, "Alice")
    chat = emu.private_chat(alice)
    emu.send_text(chat, alice, "What will the port of Busan host in 2027?")  # → instance b
    [reply] = await emu.wait_for_messages(chat.id, 1, timeout=60)
    assert "ammonia bunkering" in reply.text and "Busan Harbour Note" in reply.text
    served = {url for url, _, status in emu.webhook_deliveries if status == 200}
    assert served == set(urls)  # both processes took part
    for log in logs:  # debug logging, httpx included: still no token, no webhook secret
        text = log.read_text()
        assert TOKEN not in text and TOKEN.split(":")[1] not in text and SECRET not in text


async def test_requests_without_the_secret_are_refused(two_bots):
    emu, urls, logs = two_bots
    update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                             "from": {"id": 5, "is_bot": False, "first_name": "Eve"}, "text": "hi"}}
    async with aiohttp.ClientSession() as session:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with session.post(urls[0], json=update, headers=headers) as response:
                assert response.status == 403
    assert emu.messages(5) == []


def test_webhook_mode_requires_a_secret(tmp_path):
    from bot.settings import BotSettings

    settings = BotSettings(_env_file=None, data_dir=tmp_path, webhook_url="https://bot.example.org/telegram")
    with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
        webhook_options(settings)
    with pytest.raises(ValueError, match="WEBHOOK_SECRET may only use"):
        BotSettings(_env_file=None, webhook_secret="has spaces")
