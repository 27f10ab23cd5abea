"""The bot in ANSWER_MODE=llm: the real Application, a Bot API emulator and an OpenAI-compatible
fake, all on 127.0.0.1. A generated answer is streamed into one message at a bounded edit rate
and ends as the validated answer; a model that fails still leaves the user with an answer."""

from __future__ import annotations

import re
import shutil
import time

import pytest

from retrieval.service import MODEL_UNAVAILABLE
from tests.botapi_emulator import BotApiEmulator
from tests.openai_fake import OpenAIFake
from tests.test_bot import ALICE, TOKEN, make_settings, start_bot, stop_bot
from tests.test_generation import QUESTION, shown_passages


@pytest.fixture
async def llm_bot(tmp_path, corpus_dir, embedder):
    data_dir = tmp_path / "var"
    shutil.copytree(corpus_dir, data_dir)
    emu = await BotApiEmulator(TOKEN).start()
    with OpenAIFake() as llm:
        settings = make_settings(data_dir, emu).model_copy(update={
            "answer_mode": "llm", "openai_base_url": llm.base_url, "llm_timeout_seconds": 3.0,
            "llm_max_retries": 0, "stream_edit_interval_seconds": 0.5})
        application = await start_bot(settings, embedder)
        alice = emu.user(ALICE, "Alice", "alice_user")
        try:
            yield emu, llm, emu.private_chat(alice), alice
        finally:
            await stop_bot(application)
            await emu.stop()


def slow_answer(request: dict) -> str:
    """A long generated answer whose citations hold, and one that does not."""
    shown = shown_passages(request)
    n, body = next((n, b) for n, b in shown.items() if "hydrogen" in b.lower())
    sentence = next(s for s in re.split(r"(?<=[.!?])\s|\n", body) if "hydrogen" in s.lower())
    return f"{sentence} [{n}] " * 3 + f"The leaders also agreed to build a bridge to Mars [{n}]."


async def test_generated_answer_streams_with_bounded_edits_and_ends_validated(llm_bot):
    emu, llm, chat, alice = llm_bot
    llm.reply(slow_answer, chunk_chars=4)  # ~0.01 s per 4 characters: a few seconds of streaming
    started = time.monotonic()
    emu.send_text(chat, alice, QUESTION)
    await emu.wait_for(lambda: emu.messages(chat.id) and "Sources" in emu.messages(chat.id)[-1].text, timeout=60)
    elapsed = time.monotonic() - started
    [reply] = emu.messages(chat.id)
    drafts = reply.edits[:-1]
    assert drafts, "the answer was not shown while it was written"
    assert all("[" not in d for d in drafts)  # no unchecked citation is ever shown
    assert len(reply.edits) <= elapsed / 0.5 + 2  # at most one edit per interval, plus the final one
    assert "Mars" not in reply.text and "<b>[1]</b>" in reply.html, reply.text
    assert [b["text"] for b in reply.buttons()] == ["Show quotes", "👍", "👎"]


async def test_a_failing_model_still_gets_the_user_an_answer(llm_bot):
    emu, llm, chat, alice = llm_bot
    llm.fail(502)
    emu.send_text(chat, alice, QUESTION)
    [reply] = await emu.wait_for_messages(chat.id, 1, timeout=60)
    assert MODEL_UNAVAILABLE in reply.text and "Sources" in reply.text
