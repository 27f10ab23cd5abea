"""Telegram misbehaving: 5xx answers, refused connections, slow responses. Every answer must
arrive exactly once, and the bot must keep going. Counts are summed in the last test's output."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import shutil
import signal

import pytest

from tests.botapi_emulator import BotApiEmulator
from tests.test_bot import ADMIN, TOKEN, make_settings, start_bot, stop_bot

QUESTIONS = [
    "Which technology areas did Ishiba and Lee discuss?",
    "What challenges do Japan and South Korea both face?",
    "Where was the joint press conference held?",
    "Who is the Japanese prime minister mentioned in the commentary?",
]


@pytest.fixture
async def faulty(tmp_path, corpus_dir, embedder):
    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)
    emu = await BotApiEmulator(TOKEN).start()
    settings = make_settings(data_dir, emu).model_copy(update={"telegram_retry_seconds": 30.0})
    application = await start_bot(settings, embedder)
    try:
        yield emu
    finally:
        await stop_bot(application)
        await emu.stop()


async def ask(emu, user_id: int, question: str):
    user = emu.user(user_id, f"U{user_id}")
    chat = emu.private_chat(user)
    emu.send_text(chat, user, question)
    return chat


async def answers_once(emu, chat, timeout: float = 60) -> None:
    await emu.wait_for_messages(chat.id, 1, timeout=timeout)
    await asyncio.sleep(1.0)  # a duplicate would arrive within the retry backoff
    messages = emu.messages(chat.id)
    assert len(messages) == 1, [m.text[:60] for m in messages]
    assert "Sources" in messages[0].text


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_retried_and_the_answer_arrives_once(faulty, status):
    emu = faulty
    emu.inject_fault("sendMessage", status=status, times=3)
    chat = await ask(emu, 2001, QUESTIONS[0])
    await answers_once(emu, chat)


async def test_refused_connections_for_a_while_lose_nothing(faulty):
    emu = faulty
    chats = [await ask(emu, 2100 + i, q) for i, q in enumerate(QUESTIONS)]
    await asyncio.sleep(0.05)  # the bot has fetched the questions and is answering them
    await emu.go_offline(2.5)
    late = await ask(emu, 2199, QUESTIONS[1])  # arrives while Telegram is unreachable
    for chat in chats + [late]:
        await answers_once(emu, chat, timeout=90)


async def test_a_slow_telegram_does_not_cause_duplicates(faulty):
    emu = faulty
    # Longer than PTB's 5 s read timeout: the bot gives up waiting, Telegram still delivers.
    emu.inject_fault("sendMessage", status=200, delay=6.5)
    chat = await ask(emu, 2201, QUESTIONS[2])
    await emu.wait_for_messages(chat.id, 1, timeout=60)
    await asyncio.sleep(2.0)
    assert len(emu.messages(chat.id)) == 1
    after = await ask(emu, 2202, QUESTIONS[3])  # and the bot is still answering
    await answers_once(emu, after)


@contextlib.contextmanager
def disk_full():
    """Every write that would grow a file fails with EFBIG, as on a full disk (RLIMIT_FSIZE = 0;
    only the soft limit is lowered, so it can be restored). Reads and sockets are unaffected."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


async def test_a_full_disk_refuses_uploads_clearly_and_answering_goes_on(faulty):
    emu = faulty
    admin = emu.user(ADMIN, "Admin", "admin_user")
    admin_chat = emu.private_chat(admin)
    note = b"Kelp Farming Memo\n\nThe kelp farming memo says Jeju will trial kelp carbon credits."
    with disk_full():
        emu.send_document(admin_chat, admin, "kelp.txt", note)
        await emu.wait_for(lambda: emu.messages(admin_chat.id)
                           and "Not indexed" in emu.messages(admin_chat.id)[-1].text, timeout=120)
        refusal = emu.messages(admin_chat.id)[-1].text
        assert "disk" in refusal and "DATA_DIR" in refusal
        chat = await ask(emu, 2301, QUESTIONS[0])
        await answers_once(emu, chat)
    chat = await ask(emu, 2302, "Where will Jeju trial kelp carbon credits?")
    [reply] = await emu.wait_for_messages(chat.id, 1, timeout=60)
    assert "Kelp Farming Memo" not in reply.text  # nothing half-written became searchable
    emu.send_document(admin_chat, admin, "kelp.txt", note)  # space again: the same upload now works
    await emu.wait_for(lambda: "Added" in emu.messages(admin_chat.id)[-1].text, timeout=120)
