"""End to end through the Bot API emulator: documents added by link, and inline mode.

The real python-telegram-bot Application, polling with the bot's own ALLOWED_UPDATES (the
emulator, like Telegram, sends nothing else); web pages from a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
from telegram.error import BadRequest

from bot.app import ALLOWED_UPDATES, build_app
from bot.render import DOCUMENTS_DONT_SAY
from retrieval.service import Services
from tests.botapi_emulator import BotApiEmulator, parse_html
from tests.test_bot import ADMIN, ALICE, BOB, GROUP, TOKEN, make_settings, stop_bot
from tests.test_links import KELP, SOLAR_PDF
from tests.web_pages import BOILERPLATE_WORDS, PageServer

DAVE, ERIN = 1005, 1006
RATE_LIMIT = 4


@pytest.fixture(scope="module")
async def env(tmp_path_factory, corpus_dir, embedder):
    data_dir = tmp_path_factory.mktemp("bot-links") / "var"
    shutil.copytree(corpus_dir, data_dir)
    site = PageServer().start()
    emu = await BotApiEmulator(TOKEN).start()
    settings = make_settings(data_dir, emu).model_copy(update={
        "url_allow_private_addresses": True, "url_timeout_seconds": 5.0, "url_max_mb": 1.0,
        "user_rate_limit_per_minute": RATE_LIMIT, "inline_debounce_seconds": 0.3, "inline_cache_seconds": 60,
    })
    application = build_app(settings, Services(settings, embedder=embedder))
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    users = {uid: emu.user(uid, name, name.lower() + "_user") for uid, name in
             [(ADMIN, "Admin"), (ALICE, "Alice"), (BOB, "Bob"), (DAVE, "Dave"), (ERIN, "Erin")]}
    emu.group(GROUP, "Policy Group", admins=[BOB])
    yield {"emu": emu, "app": application, "settings": settings, "users": users, "site": site}
    await stop_bot(application)
    await emu.stop()
    site.stop()


def index_of(env):
    return env["app"].bot_data["research_bot"].services.index


async def send(env, user_id: int, text: str, done=None):
    """Send a private message; return the bot's first reply once `done(text)` holds for it."""
    emu = env["emu"]
    chat = emu.private_chat(env["users"][user_id])
    before = len(emu.messages(chat.id))
    emu.send_text(chat, env["users"][user_id], text)
    reply = (await emu.wait_for_messages(chat.id, before + 1, timeout=60))[before]
    if done is not None:
        await emu.wait_for(lambda: done(reply.text), timeout=120)
    return reply


def finished(text: str) -> bool:
    return any(w in text for w in ("Added", "Replaced", "Already", "Not added", "Not indexed", "only the bot's"))


def audit(env) -> list[dict]:
    return env["app"].bot_data["research_bot"].state.audit_entries()


# -- documents by link -------------------------------------------------------------------------
async def test_an_admin_adds_a_page_by_sending_its_link_and_it_is_cited_with_it(env):
    url = env["site"].article("kelp", "Kelp Forest Restoration Compact", KELP, date="2026-04-02")
    status = await send(env, ADMIN, url, done=finished)
    assert "Added" in status.text and "Kelp Forest Restoration Compact" in status.text and url in status.text
    assert status.edits[0].startswith("Fetching")  # the same progress message an upload gets

    answer = await send(env, ALICE, "Where is the secretariat that manages the fund for the kelp nurseries?")
    assert "Hobart" in answer.text and "Sources" in answer.text
    assert f'<a href="{url}">Kelp Forest Restoration Compact</a>' in answer.html  # cited with its link
    for word in BOILERPLATE_WORDS:
        assert word not in answer.text

    listing = await send(env, ADMIN, "/docs")
    assert url in listing.text and "Kelp Forest Restoration Compact" in listing.text
    record = next(d for d in index_of(env).documents() if d.source == url)
    assert record.source_url == url and record.origin == "link"
    assert any(a["action"] == "add" and a["target"] == url and a["result"] == f"new {record.doc_id}"
               for a in audit(env))


async def test_add_command_with_a_pdf_then_unchanged_then_replaced(env):
    site = env["site"]
    pdf = site.pdf("solar.pdf", SOLAR_PDF)
    added = await send(env, ADMIN, f"/add {pdf}", done=finished)
    assert "Added" in added.text and pdf in added.text
    answer = await send(env, ALICE, "Where is the first review of the Desert Solar Corridor Agreement?")
    assert "Ouarzazate" in answer.text

    revised = KELP[:3] + ["The compact was revised after the first survey season."]
    url = site.article("kelp-v", "Kelp Forest Restoration Compact (revised)", revised, date="2026-04-02")
    assert "Added" in (await send(env, ADMIN, f"/add {url}", done=finished)).text
    again = await send(env, ADMIN, f"/add {url}", done=finished)  # the page's advert changed, not its text
    assert "Already indexed, unchanged" in again.text
    site.article("kelp-v", "Kelp Forest Restoration Compact (revised)",
                 revised[:2] + [revised[2].replace("310 million", "420 million")] + revised[3:], date="2026-06-01")
    newer = await send(env, ADMIN, f"/add {url}", done=finished)
    assert "Replaced" in newer.text and "2026-06-01" in newer.text
    assert [d.date for d in index_of(env).documents() if d.source == url] == ["2026-06-01"]


@pytest.mark.parametrize("message, words", [
    ("/add {site}/missing", "the server answered 404 Not Found"),
    ("/add {site}/photo.png", "not a document (the server sent image/png)"),
    ("/add {site}/huge", "larger than 1 MB"),
    ("/add {site}/redirect-to?url=http://0.0.0.0:1/x", "0.0.0.0 is an unspecified address"),
    ("ftp://example.org/report.pdf", "only http and https links can be added"),
    ("/add", "Usage: /add URL"),
    ("/add https://a.example/x https://b.example/y", "Usage: /add URL"),
    ("/add {site}/scripts-only", "no article text was found"),
])
async def test_a_failed_link_says_why_and_changes_nothing(env, message, words):
    site = env["site"]
    site.raw("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    site.raw("scripts-only", "text/html", b"<html><body><nav><a href='/'>Home</a></nav><script>app()</script></body></html>")
    before = index_of(env).documents()
    reply = await send(env, ADMIN, message.format(site=site.url("")),
                       done=lambda t: finished(t) or t.startswith("Usage"))
    assert words in reply.text, reply.text
    assert index_of(env).documents() == before


async def test_links_from_non_admins_are_refused_before_anything_is_fetched(env):
    site = env["site"]
    url = site.article("sneaky", "Sneaky Page", KELP)
    for text in (url, f"/add {url}"):
        reply = await send(env, ALICE, text)
        assert "only the bot's administrators" in reply.text
    assert site.hits["/sneaky"] == 0
    assert all(d.source != url for d in index_of(env).documents())
    assert sum(1 for a in audit(env) if a["user_id"] == ALICE and a["action"] == "add_link"
               and a["result"].startswith("refused")) == 2


# -- inline mode -------------------------------------------------------------------------------
async def ask_inline(env, user_id: int, query: str) -> tuple[str, dict]:
    emu = env["emu"]
    query_id = emu.send_inline_query(env["users"][user_id], query)
    return query_id, await emu.wait_for_inline_answer(query_id, timeout=60)


async def test_inline_question_offers_the_cited_answer_to_post_anywhere(env):
    emu = env["emu"]
    question = "Which technology areas did Ishiba and Lee discuss?"
    query_id, answer = await ask_inline(env, DAVE, question)
    assert answer["cache_time"] == 60 and not answer["is_personal"]
    [result] = answer["results"]
    content = result["input_message_content"]
    shown = parse_html(content["message_text"])
    assert content["parse_mode"] == "HTML" and "hydrogen" in shown and "Sources" in shown and question in shown
    assert "[" not in result["title"] and result["title"].rstrip("…") in shown
    assert result["description"]

    # Dave posts it into a group: people there see the answer with its sources.
    posted = emu.choose_inline_result(emu.chats[GROUP], env["users"][DAVE], query_id, result["id"])
    assert posted["via_bot"]["username"] == "PolicyResearchBot" and "Sources" in posted["text"]
    # Posted in the bot's own chat, the answer is not taken for a question.
    chat = emu.private_chat(env["users"][DAVE])
    emu.choose_inline_result(chat, env["users"][DAVE], query_id, result["id"])
    await asyncio.sleep(1.0)
    assert emu.messages(chat.id) == []

    # The same question from someone else, a moment later: answered from the cache.
    cache = env["app"].bot_data["research_bot"].inline_cache
    hits = cache.hits
    _, again = await ask_inline(env, ERIN, "  which technology areas did ishiba and lee DISCUSS?  ")
    assert again["results"] == answer["results"] and cache.hits == hits + 1


async def test_inline_short_queries_get_a_hint_and_abstentions_say_so(env):
    cache = env["app"].bot_data["research_bot"].inline_cache
    hits = cache.hits
    for query in ("", "ab"):
        _, hint = await ask_inline(env, ERIN, query)
        [result] = hint["results"]
        assert result["id"] == "hint" and "@PolicyResearchBot" in result["description"]
    _, off_topic = await ask_inline(env, ERIN, "How do I bake sourdough bread?")
    [result] = off_topic["results"]
    assert result["title"] == DOCUMENTS_DONT_SAY
    assert "couldn't find this in the documents" in parse_html(result["input_message_content"]["message_text"])
    assert cache.hits == hits  # nothing was searched for the hints, nothing came from the cache


async def test_inline_typing_is_answered_once_and_rate_limited_like_questions(env):
    emu = env["emu"]
    erin = env["users"][ERIN]
    partial = [emu.send_inline_query(erin, q) for q in ("What is age", "What is age-tech", "What is age-tech in the commentary")]
    final = await emu.wait_for_inline_answer(partial[-1], timeout=60)
    assert "caregiving" in parse_html(final["results"][0]["input_message_content"]["message_text"])
    assert emu.inline_answer(partial[0]) is None and emu.inline_answer(partial[1]) is None  # superseded

    # Bob has a fresh budget of RATE_LIMIT questions a minute, shared with chat questions
    await send(env, BOB, "What is age-tech as described in the commentary?")
    answers = [(await ask_inline(env, BOB, f"Which technology areas did Ishiba and Lee discuss? ({i})"))[1]
               for i in range(RATE_LIMIT)]
    assert all(a["results"] for a in answers[:RATE_LIMIT - 1])
    limited = answers[-1]
    assert limited["results"] == [] and "Too many questions" in limited["button"]["text"] and limited["is_personal"]


async def test_the_emulator_validates_inline_answers_like_telegram(env):
    emu, bot = env["emu"], env["app"].bot
    article = {"type": "article", "id": "x", "title": "T",
               "input_message_content": {"message_text": "fine", "parse_mode": "HTML"}}
    for results, words in [
        ([dict(article, id=str(i)) for i in range(51)], "RESULTS_TOO_MUCH"),
        ([dict(article, id="x" * 65)], "RESULT_ID_INVALID"),
        ([article, article], "RESULT_ID_DUPLICATE"),
        ([dict(article, input_message_content={"message_text": "<b>broken", "parse_mode": "HTML"})],
         "can't parse entities"),
        ([dict(article, input_message_content={"message_text": "x" * 4097})], "too long"),
    ]:
        query_id = emu.send_inline_query(env["users"][DAVE], "anything", deliver=False)
        with pytest.raises(BadRequest, match=f"(?i){words}"):  # PTB re-cases the description
            await bot._post("answerInlineQuery", {"inline_query_id": query_id, "results": results})
    query_id = emu.send_inline_query(env["users"][DAVE], "anything", deliver=False)
    assert await bot.answer_inline_query(query_id, [])
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_inline_query(query_id, [])
