"""Webhook mode and scale-out: two bot instances behind one webhook URL, sharing a real Chroma
server (`chroma run`). The emulator delivers updates the way Telegram does (POST with the
secret header), alternating between the two like a load balancer would."""

from __future__ import annotations

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import build_app, webhook_options
from retrieval.errors import ConfigurationError
from retrieval.index import iter_document_files
from retrieval.service import Services
from tests.botapi_emulator import BotApiEmulator
from tests.conftest import DOCUMENTS, free_port
from tests.test_bot import ADMIN, TOKEN, make_settings, stop_bot

SECRET = "s3cret-for-tests_only"
NOTE = (b"Busan Harbour Note\n\nThe Busan harbour note says that the port of Busan will host a joint "
        b"Japan-Korea ammonia bunkering pilot in 2027.")


async def start_webhook_bot(settings, embedder):
    application = build_app(settings, Services(settings, embedder=embedder))
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_webhook(**webhook_options(settings))
    return application


@pytest.fixture
async def two_bots(tmp_path, chroma_server, embedder):
    emu = await BotApiEmulator(TOKEN).start()
    bots, urls = [], []
    for name in ("a", "b"):
        port = free_port()
        url = f"http://127.0.0.1:{port}/telegram"
        settings = make_settings(tmp_path / name, emu).model_copy(update={
            "chroma_host": "127.0.0.1", "chroma_port": chroma_server, "chroma_collection_prefix": "webhook",
            "webhook_url": url, "webhook_secret": SecretStr(SECRET), "webhook_port": port})
        bots.append(await start_webhook_bot(settings, embedder))
        urls.append(url)
    services = bots[0].bot_data["research_bot"].services
    if not services.index.documents():
        for path in iter_document_files([DOCUMENTS]):
            services.index.ingest_path(path)
    emu.webhook_backends = urls  # the load balancer in front of both
    try:
        yield emu, urls
    finally:
        for application in bots:
            await stop_bot(application)
        await emu.stop()


async def test_two_webhook_bots_share_one_index(two_bots):
    emu, urls = two_bots
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
    assert served == set(urls)  # both instances took part


async def test_requests_without_the_secret_are_refused(two_bots):
    emu, urls = two_bots
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
