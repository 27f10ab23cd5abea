"""End to end: the real python-telegram-bot Application over HTTP against a Bot API on 127.0.0.1.

Several users in private and group chats; every assertion is about what a user would see.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from docx import Document

from bench.corpus import long_text
from bot.app import build_app
from bot.briefings import post_due
from bot.render import split_message
from bot.replies import send_html
from bot.settings import BotSettings
from retrieval.service import Services
from tests.botapi_emulator import BotApiEmulator, parse_html
from tests.conftest import DOCUMENTS
from tests.test_loading import _pdf_bytes

# Shaped like a real token (so redaction is tested on the real shape), but fake, and built here
# rather than written out, so that secret scanners never mistake the source for a leak.
TOKEN = "123456789:" + "TEST-token-for-the-emulator-only-xx"
ADMIN, ALICE, BOB, CAROL = 1001, 1002, 1003, 1004
GROUP = -100777


def make_settings(data_dir, emu: BotApiEmulator) -> BotSettings:
    return BotSettings(
        _env_file=None, data_dir=data_dir, documents_dir=DOCUMENTS, telegram_bot_token=TOKEN,
        admin_user_ids=[ADMIN], telegram_api_base_url=emu.base_url, telegram_file_base_url=emu.base_file_url,
        max_upload_mb=4, poll_timeout=1, user_rate_limit_per_minute=1000,
        # Briefings are brought forward with `post_due(now=...)`, not by the wall clock.
        briefing_check_seconds=3600,
    )


async def start_bot(settings, embedder):
    application = build_app(settings, Services(settings, embedder=embedder))
    # The same order as Application.run_polling: initialize, post_init, start.
    await application.initialize()
    await application.post_init(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    return application


async def stop_bot(application) -> None:
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await application.post_shutdown(application)


@pytest.fixture(scope="module")
async def env(tmp_path_factory, corpus_dir, embedder):
    data_dir = tmp_path_factory.mktemp("bot") / "var"
    shutil.copytree(corpus_dir, data_dir)
    emu = await BotApiEmulator(TOKEN).start()
    settings = make_settings(data_dir, emu)
    application = await start_bot(settings, embedder)
    users = {uid: emu.user(uid, name, name.lower() + "_user") for uid, name in
             [(ADMIN, "Admin"), (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")]}
    emu.group(GROUP, "Policy Group", admins=[BOB])
    holder = {"emu": emu, "app": application, "settings": settings, "users": users, "embedder": embedder}
    yield holder
    await stop_bot(holder["app"])
    await emu.stop()


async def ask_private(env, user_id: int, text: str):
    emu = env["emu"]
    chat = emu.private_chat(env["users"][user_id])
    before = len(emu.messages(chat.id))
    emu.send_text(chat, env["users"][user_id], text)
    messages = await emu.wait_for_messages(chat.id, before + 1, timeout=60)
    return chat, messages[before]


async def test_private_question_with_sources_quotes_and_feedback(env):
    emu = env["emu"]
    chat, reply = await ask_private(env, ALICE, "Which technology areas did Ishiba and Lee discuss?")
    assert reply.parse_mode == "HTML"
    assert "hydrogen" in reply.text and "[1]" in reply.text
    assert "Sources" in reply.text and "2025-08-27" in reply.text
    assert (chat.id, "typing") in emu.chat_actions
    labels = [b["text"] for b in reply.buttons()]
    assert labels == ["Show quotes", "👍", "👎"]

    emu.press_button(chat, env["users"][ALICE], reply.message_id, reply.button("Show quotes")["callback_data"])
    quotes = (await emu.wait_for_messages(chat.id, 2))[1]
    assert "“During the Ishiba-Lee meeting" in quotes.text and quotes.reply_to_message_id == reply.message_id

    for label in ("👍", "👍", "👎"):
        qid = emu.press_button(chat, env["users"][ALICE], reply.message_id, reply.button(label)["callback_data"])
        await emu.wait_for(lambda: emu.callback_answer(qid))
    feedback = env["app"].bot_data["research_bot"].state.feedback()
    assert [f["vote"] for f in feedback] == [-1]  # one vote, changed by the second press


async def test_follow_up_uses_the_conversation_and_reset_clears_it(env):
    await ask_private(env, CAROL, "Who is the Japanese prime minister mentioned in the commentary?")
    _, follow_up = await ask_private(env, CAROL, "And his South Korean counterpart?")
    assert "Lee Jae Myung" in follow_up.text
    _, done = await ask_private(env, CAROL, "/reset")
    assert "forgotten" in done.text


async def test_start_lists_documents_and_commands_are_registered(env):
    _, reply = await ask_private(env, ALICE, "/start")
    assert "5 policy documents" in reply.text and "Spirit of Camp David" in reply.text
    assert "/docs" not in reply.text  # admin commands only for admins
    scopes = {json.loads(k)["type"] for k in env["emu"].commands}
    assert {"all_private_chats", "all_group_chats", "chat"} <= scopes
    _, admin_help = await ask_private(env, ADMIN, "/help")
    assert "/docs" in admin_help.text


async def test_bad_messages_get_clear_answers(env):
    _, unknown = await ask_private(env, ALICE, "/frobnicate now")
    assert "don't know /frobnicate" in unknown.text
    _, html = await ask_private(env, ALICE, "<b>hi</b><script>alert('xss')</script>")
    assert "<script" not in html.html and "Ask me a question" in html.text
    _, token = await ask_private(env, ALICE, f"is {TOKEN} valid? what is age-tech")
    assert TOKEN not in token.html
    _, empty = await ask_private(env, ALICE, "🙂🙂🙂")
    assert "question about the documents" in empty.text
    _, off = await ask_private(env, ALICE, "How do I bake sourdough bread?")
    assert "couldn't find this in the documents" in off.text and "closest passages" in off.text
    _, rtl = await ask_private(env, ALICE, "\u202eما هي التكنولوجيا\u202c؟ \u200fWhat is age-tech?")
    assert "went wrong" not in rtl.text and "\u202e" not in rtl.text
    _, long = await ask_private(env, ALICE, "Which technology areas did Ishiba and Lee discuss? " * 1200)
    assert "hydrogen" in long.text  # the repetition is collapsed, the question answered
    _, no_id = await ask_private(env, ADMIN, "/remove")
    assert no_id.text.startswith("Usage: /remove")


async def test_group_is_quiet_unless_addressed(env):
    emu = env["emu"]
    group = emu.chats[GROUP]
    alice = env["users"][ALICE]
    emu.send_text(group, alice, "Lunch at noon, anyone?")
    emu.send_text(group, alice, "/ask@SomeOtherBot what is age-tech?")
    emu.send_text(group, alice, "/ask What is age-tech as described in the commentary?")
    first = (await emu.wait_for_messages(GROUP, 1))[0]
    await asyncio.sleep(0.5)
    assert len(emu.messages(GROUP)) == 1  # chatter and the other bot's command were ignored
    assert "age-tech" in first.text and "[1]" in first.text

    emu.send_text(group, alice, "@PolicyResearchBot which areas did Lee and Ishiba discuss?")
    second = (await emu.wait_for_messages(GROUP, 2))[1]
    assert "hydrogen" in second.text
    emu.send_text(group, alice, "/ask@PolicyResearchBot when was the commentary published?")
    third = (await emu.wait_for_messages(GROUP, 3))[2]
    assert "August 27, 2025" in third.text
    # A reply to the bot is a follow-up to the question it answered.
    emu.send_text(group, alice, "and in which city was the press conference held?", reply_to_message_id=second.message_id)
    fourth = (await emu.wait_for_messages(GROUP, 4))[3]
    assert "Tokyo" in fourth.text


async def test_brief_on_a_topic_and_on_main_themes(env):
    emu = env["emu"]
    group = emu.chats[GROUP]
    emu.send_text(group, env["users"][ALICE], "/brief technology cooperation")
    count = len(emu.messages(GROUP))
    briefing = (await emu.wait_for_messages(GROUP, count + 1 if count else 1))[-1]
    emu.send_text(group, env["users"][ALICE], "/brief")
    themes = (await emu.wait_for_messages(GROUP, len(emu.messages(GROUP)) + 1))[-1]
    for b in (briefing, themes):
        bullets = [line for line in b.text.splitlines() if line.startswith("• ")]
        assert 3 <= len(bullets) <= 6, b.text
        assert all("[" in line and "(20" in line for line in bullets)  # cited, with the source's date
    assert "technolog" in briefing.text.lower()
    assert len({line.split("(")[-1] for line in themes.text.splitlines() if line.startswith("• ")}) >= 2  # several sources


async def test_subscriptions_are_admin_only_scheduled_and_survive_restart(env):
    emu = env["emu"]
    group = emu.chats[GROUP]
    start = len(emu.messages(GROUP))
    emu.send_text(group, env["users"][ALICE], "/subscribe 08:30 hydrogen")  # Alice is not a group admin
    refusal = (await emu.wait_for_messages(GROUP, start + 1))[-1]
    assert "Only this group's administrators" in refusal.text
    emu.send_text(group, env["users"][BOB], "/subscribe 25:99")
    usage = (await emu.wait_for_messages(GROUP, start + 2))[-1]
    assert "Usage: /subscribe HH:MM" in usage.text
    emu.send_text(group, env["users"][BOB], "/subscribe 08:30 hydrogen")
    ok = (await emu.wait_for_messages(GROUP, start + 3))[-1]
    assert "Daily briefing" in ok.text and "08:30" in ok.text

    async def fire_and_wait(application, days_ahead: int) -> str:
        before = len(emu.messages(GROUP))
        # The scheduler's own check, with the clock at 08:30 on a later day instead of waiting for it.
        slot = datetime.now(timezone.utc).replace(hour=8, minute=30, second=5) + timedelta(days=days_ahead)
        assert len(await post_due(application, now=slot)) == 1
        assert await post_due(application, now=slot + timedelta(seconds=30)) == []  # posted once per slot
        return (await emu.wait_for_messages(GROUP, before + 1, timeout=30))[-1].text

    posted = await fire_and_wait(env["app"], 1)
    assert "Briefing: hydrogen" in posted and "•" in posted

    await stop_bot(env["app"])
    env["app"] = await start_bot(env["settings"], env["embedder"])  # a restart
    posted_again = await fire_and_wait(env["app"], 2)
    assert "Briefing: hydrogen" in posted_again

    emu.send_text(group, env["users"][BOB], "/subscriptions")
    listing = (await emu.wait_for_messages(GROUP, len(emu.messages(GROUP)) + 1))[-1]
    assert "08:30" in listing.text and "hydrogen" in listing.text
    emu.send_text(group, env["users"][BOB], "/unsubscribe")
    stopped = (await emu.wait_for_messages(GROUP, len(emu.messages(GROUP)) + 1))[-1]
    assert "Stopped 1" in stopped.text
    later = datetime.now(timezone.utc).replace(hour=8, minute=30, second=5) + timedelta(days=3)
    assert await post_due(env["app"], now=later) == []


def _docx(text: str) -> bytes:
    document = Document()
    document.add_heading("Ocean Data Accord", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


UPLOADS = [
    ("lunar.txt", b"Lunar Mining Charter\n\nThe Lunar Mining Charter assigns prospecting rights to the Selene Consortium.",
     "Who holds prospecting rights under the Lunar Mining Charter?", "Selene Consortium"),
    ("arctic.md", b"---\ntitle: Arctic Shipping Memo\ndate: 2026-05-02\n---\n\nThe Arctic Shipping Memo caps icebreaker "
     b"escorts at nine convoys per season.", "How many convoys does the Arctic Shipping Memo allow?", "nine convoys"),
    ("fusion.html", b"<html><head><title>Fusion Grid Note</title><script>var x=1</script></head><body>"
     b"<p>The Fusion Grid Note names Tromso as the first pilot site.</p></body></html>",
     "Which city is the first pilot site in the Fusion Grid Note?", "Tromso"),
    ("ocean.docx", _docx("The Ocean Data Accord stores buoy readings in a shared archive in Valparaiso."),
     "Where does the Ocean Data Accord store buoy readings?", "Valparaiso"),
    ("quantum.pdf", _pdf_bytes("The Quantum Ledger Pact sets a review in Reykjavik every spring."),
     "Where is the Quantum Ledger Pact reviewed?", "Reykjavik"),
]


async def upload(env, user_id: int, name: str, data: bytes, **kw):
    emu = env["emu"]
    chat = emu.private_chat(env["users"][user_id])
    before = len(emu.messages(chat.id))
    emu.send_document(chat, env["users"][user_id], name, data, **kw)
    status = (await emu.wait_for_messages(chat.id, before + 1))[before]
    done_words = ("Added", "Replaced", "Already", "Not indexed", "can't", "limit", "larger", "Sorry")
    await emu.wait_for(lambda: any(w in status.text for w in done_words), timeout=120)
    return status


@pytest.mark.parametrize("name, data, question, expected", UPLOADS, ids=[u[0] for u in UPLOADS])
async def test_admin_upload_of_each_format_is_answerable_at_once(env, name, data, question, expected):
    status = await upload(env, ADMIN, name, data)
    assert "Added" in status.text and "chunks" in status.text
    _, answer = await ask_private(env, ALICE, question)
    assert expected in answer.text, answer.text


async def test_sources_of_different_dates_are_answered_newest_first(env):
    older = (b"---\ntitle: Reef Board Annual Report\ndate: 2024-03-01\n---\n\n"
             b"The Coral Reef Monitoring Board is chaired by Dr. Amara Okafor, appointed in January 2024. "
             b"The board publishes a survey of bleaching every spring.")
    newer = (b"---\ntitle: Reef Board Leadership Update\ndate: 2026-05-10\n---\n\n"
             b"Dr. Tomas Lindqvist now chairs the Coral Reef Monitoring Board, succeeding Dr. Amara Okafor. "
             b"The board will add two monitoring stations next year.")
    for name, data in (("reef-2024.md", older), ("reef-2026.md", newer)):
        assert "Added" in (await upload(env, ADMIN, name, data)).text
    _, answer = await ask_private(env, ALICE, "Who currently chairs the Coral Reef Monitoring Board?")
    text = answer.text
    assert text.startswith("As of 2026-05-10 (newest source):") and "Lindqvist" in text, text
    assert "Earlier, on 2024-03-01:" in text and text.index("Lindqvist") < text.index("Earlier, on 2024-03-01:")
    assert "2026-05-10" in text.split("Sources")[1] and "2024-03-01" in text.split("Sources")[1]


async def test_duplicates_and_replacements(env):
    again = await upload(env, ADMIN, "lunar.txt", UPLOADS[0][1])
    assert "Already indexed" in again.text
    newer = await upload(env, ADMIN, "lunar.txt", UPLOADS[0][1].replace(b"Selene Consortium", b"Artemis Guild"))
    assert "Replaced" in newer.text
    _, answer = await ask_private(env, ALICE, "Who holds prospecting rights under the Lunar Mining Charter?")
    assert "Artemis Guild" in answer.text and "Selene" not in answer.text


async def test_non_admins_are_refused_and_nothing_changes(env):
    docs_before = env["app"].bot_data["research_bot"].services.index.documents()
    status = await upload(env, ALICE, "sneaky.txt", b"Sneaky Doc\n\nThe sneaky document claims the moon is cheese.")
    assert "only the bot's administrators" in status.text
    for command in ("/docs", "/remove abc", "/reindex", "/stats"):
        _, reply = await ask_private(env, ALICE, command)
        assert "only the bot's administrators" in reply.text
    assert env["app"].bot_data["research_bot"].services.index.documents() == docs_before
    audit = env["app"].bot_data["research_bot"].state.audit_entries()
    assert any(entry["result"].startswith("refused") and entry["user_id"] == ALICE for entry in audit)


async def test_large_and_malformed_files_get_clear_answers(env):
    big = await upload(env, ADMIN, "big.txt", b"word " * (1024 * 1024))  # 5 MB, over the 4 MB setting
    assert "limit is 4 MB" in big.text
    huge = await upload(env, ADMIN, "huge.pdf", b"%PDF", declared_size=100 * 1024 * 1024)
    assert "limit is 4 MB" in huge.text  # refused before any download
    broken = await upload(env, ADMIN, "broken.pdf", b"%PDF-1.7\nnot really a pdf")
    assert "Not indexed" in broken.text and "could not be read as a PDF" in broken.text
    exe = await upload(env, ADMIN, "tool.exe", b"MZ\x90\x00")
    assert "can't index tool.exe" in exe.text


async def test_docs_remove_with_confirmation_and_never_cited_again(env):
    emu = env["emu"]
    await upload(env, ADMIN, "tidal.txt", b"Tidal Power Compact\n\nThe Tidal Power Compact funds a turbine array at Orkney.")
    chat, listing = await ask_private(env, ADMIN, "/docs")
    assert "Documents" in listing.text
    index = env["app"].bot_data["research_bot"].services.index
    doc_id = next(d.doc_id for d in index.documents() if d.title == "Tidal Power Compact")
    _, confirm = await ask_private(env, ADMIN, f"/remove {doc_id}")
    assert "Tidal Power Compact" in confirm.text
    emu.press_button(chat, env["users"][ADMIN], confirm.message_id, confirm.button("Remove")["callback_data"])
    await emu.wait_for(lambda: "Removed" in confirm.text)
    _, answer = await ask_private(env, ALICE, "Where does the Tidal Power Compact fund a turbine array?")
    assert "Orkney" not in answer.text and "couldn't find" in answer.text
    _, stats = await ask_private(env, ADMIN, "/stats")
    assert "Questions answered" in stats.text and "Documents:" in stats.text


async def test_html_in_documents_and_questions_is_escaped(env):
    await upload(env, ADMIN, "markup.txt",
                 b"Markup Test Brief\n\nThe Markup Test Brief says <b>tariffs</b> & <script>quotas</script> rose 5% in Oslo.")
    _, answer = await ask_private(env, ALICE, "What does the Markup Test Brief say rose in Oslo? <i>please</i>")
    assert "<b>tariffs</b>" in answer.text  # shown literally, as the document has it
    assert "<script>" not in answer.html  # never as markup


LONG = "Sentence with <b>markup</b> & an ampersand, repeated to make a very long answer. " * 120


@pytest.mark.parametrize("html", [
    f"<b>Title</b>\n\n{LONG}",
    "\n\n".join(f"[{i}] <i>Source {i}</i> (Publisher, 2025-01-01) — Section" for i in range(400)),
    "<blockquote>" + "quote " * 2000 + "</blockquote>",
    "x" * 9000,
    "가" * 5000,
])
def test_split_message_respects_the_limit_and_keeps_html_valid(html):
    from html import escape

    if "<" not in html:
        html = escape(html)
    pieces = split_message(html.replace("& ", "&amp; "))
    assert len(pieces) >= 2
    for piece in pieces:
        plain = parse_html(piece)  # raises like Telegram would on broken HTML
        assert len(plain.encode("utf-16-le")) // 2 <= 4096
    lines = [line for piece in pieces for line in piece.split("\n") if line.startswith("[")]
    assert all(line.endswith("— Section") for line in lines)  # no citation line was cut


async def test_long_output_is_delivered_in_several_valid_messages(env):
    emu = env["emu"]
    chat = emu.private_chat(env["users"][ALICE])
    before = len(emu.messages(chat.id))
    await send_html(env["app"].bot, chat.id, f"<b>Long</b>\n\n{LONG.replace('& ', '&amp; ')}")
    sent = emu.messages(chat.id)[before:]
    assert len(sent) >= 2 and all(len(m.text) <= 4096 for m in sent)


async def test_flood_limit_is_waited_out_and_the_answer_arrives_once(env):
    emu = env["emu"]
    emu.inject_fault("sendMessage", 429, retry_after=1)
    chat, reply = await ask_private(env, BOB, "What is age-tech as described in the commentary?")
    await asyncio.sleep(0.5)
    answers = [m for m in emu.messages(chat.id) if "age-tech" in m.text]
    assert len(answers) == 1 and "[1]" in reply.text


async def test_briefings_for_a_chat_that_removed_the_bot_are_dropped(env):
    emu = env["emu"]
    gone = emu.group(-100999, "Old Group", admins=[BOB])
    emu.send_text(gone, env["users"][BOB], "/subscribe 07:00")
    await emu.wait_for_messages(gone.id, 1)
    state = env["app"].bot_data["research_bot"].state
    assert state.subscriptions(gone.id)
    emu.forbidden_chats.add(gone.id)
    tomorrow = datetime.now(timezone.utc).replace(hour=7, minute=0, second=1) + timedelta(days=1)
    await asyncio.gather(*await post_due(env["app"], now=tomorrow))
    assert not state.subscriptions(gone.id)


def test_the_token_never_reaches_the_logs():
    import logging

    from bot.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    try:
        configure_logging("DEBUG", TOKEN)
        root.handlers[0].setStream(stream)
        logging.getLogger("bot.test").info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logging.getLogger("bot.test").warning("user pasted 987654321:%s", "B" * 35)
        try:
            raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logging.getLogger("bot.test").exception("request failed")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    output = stream.getvalue()
    assert TOKEN not in output and "B" * 35 not in output and "[redacted" in output
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING  # httpx logs URLs at INFO


async def test_docs_paging_and_reindex(env):
    emu = env["emu"]
    chat, listing = await ask_private(env, ADMIN, "/docs")
    assert "page 1/" in listing.text
    next_button = [b for b in listing.buttons() if "Next" in b["text"]]
    if next_button:  # more documents than one page holds
        emu.press_button(chat, env["users"][ADMIN], listing.message_id, next_button[0]["callback_data"])
        await emu.wait_for(lambda: "page 2/" in listing.text)
    before = {d.doc_id for d in env["app"].bot_data["research_bot"].services.index.documents()}
    _, status = await ask_private(env, ADMIN, "/reindex")
    await emu.wait_for(lambda: "Reindexed" in status.text, timeout=180)
    assert {d.doc_id for d in env["app"].bot_data["research_bot"].services.index.documents()} == before
    _, answer = await ask_private(env, ALICE, "What is age-tech as described in the commentary?")
    assert "caregiving" in answer.text


async def test_tampered_and_stale_buttons_change_nothing(env):
    emu = env["emu"]
    index = env["app"].bot_data["research_bot"].services.index
    before = [d.doc_id for d in index.documents()]
    chat, reply = await ask_private(env, ALICE, "Which technology areas did Ishiba and Lee discuss?")
    admin_chat, listing = await ask_private(env, ADMIN, "/docs")
    tampered = [
        (chat, reply, ALICE, f"rm:{before[0]}"),  # a non-admin forging an admin button
        (chat, reply, ALICE, "docs:0"),
        (admin_chat, listing, ADMIN, f"rm:{before[0][:3]}"),  # a prefix that would match a document
        (admin_chat, listing, ADMIN, "rm:../../etc/passwd"),
        (admin_chat, listing, ADMIN, "rm:0123456789ab"),  # a well-formed id of no document
        (admin_chat, listing, ADMIN, "docs:-9"), (admin_chat, listing, ADMIN, "docs:x"),
        (chat, reply, ALICE, "q:999999"), (chat, reply, ALICE, "q:abc"), (chat, reply, ALICE, "fb:1:5"),
        (chat, reply, ALICE, "fb::"), (chat, reply, ALICE, "zz:" + "x" * 60),
    ]
    for target, message, user, data in tampered:
        qid = emu.press_button(target, env["users"][user], message.message_id, data)
        await emu.wait_for(lambda: emu.callback_answer(qid), timeout=20)
    assert [d.doc_id for d in index.documents()] == before
    assert not any("went wrong" in m.text for m in emu.messages(chat.id) + emu.messages(admin_chat.id))


async def test_a_korean_question_about_a_fresh_upload_is_answered_from_it(env):
    status = await upload(env, ADMIN, "kelp.txt", "Kelp Farming Compact\n\nThe Kelp Farming Compact moves the seaweed "
                          "auction of Wando County to a floating pier at Jeju by 2031.".encode())
    assert "Added" in status.text and "Korean and Japanese questions" in status.text
    services = env["app"].bot_data["research_bot"].services
    record = next(d for d in services.index.documents() if d.source == "kelp.txt")
    # The bot computes the multilingual vectors in the background, right after the upload.
    await env["emu"].wait_for(lambda: record.key in services.store.multilingual_keys(), timeout=120, interval=0.2)
    _, answer = await ask_private(env, ALICE, "켈프 양식 협정은 완도군의 해조류 경매를 어디로 옮기나요?")
    assert "Jeju" in answer.text and "Kelp Farming Compact" in answer.text, answer.text


async def test_a_large_upload_shows_its_progress_while_questions_are_answered(env):
    admin_chat = env["emu"].private_chat(env["users"][ADMIN])
    before = len(env["emu"].messages(admin_chat.id))
    env["emu"].send_document(admin_chat, env["users"][ADMIN], "renewal.txt",
                             long_text(150_000, seed=3, title="Harbour Renewal Programme").encode())
    status = (await env["emu"].wait_for_messages(admin_chat.id, before + 1))[before]
    _, answer = await ask_private(env, ALICE, "Which technology areas did Ishiba and Lee discuss?")
    assert "hydrogen" in answer.text  # answered while the upload is being indexed
    await env["emu"].wait_for(lambda: "Added" in status.text or "Not indexed" in status.text, timeout=300)
    assert "Added" in status.text
    progress = [parse_html(e) for e in status.edits if "%" in e]
    assert progress and all(re.search(r"\d+% · [\d,]+ passages|saving [\d,]+ passages: \d+%", p) for p in progress)


async def test_answer_buttons_work_only_in_their_own_chat_and_cannot_be_guessed(env):
    emu = env["emu"]
    state = env["app"].bot_data["research_bot"].state
    _, answer = await ask_private(env, ALICE, "Which technology areas did Ishiba and Lee discuss?")
    bob_chat, bob_answer = await ask_private(env, BOB, "What is age-tech as described in the commentary?")
    quotes = answer.button("Show quotes")["callback_data"]
    answer_id = quotes.split(":")[1]
    assert len(answer_id) >= 20 and not answer_id.isdigit()  # random, not a counter
    assert bob_answer.button("Show quotes")["callback_data"].split(":")[1] != answer_id
    before = len(emu.messages(bob_chat.id))
    # Bob replays Alice's buttons in his own chat, as a copied or forged callback would.
    for data in (quotes, answer.button("👍")["callback_data"]):
        qid = emu.press_button(bob_chat, env["users"][BOB], bob_answer.message_id, data)
        await emu.wait_for(lambda: emu.callback_answer(qid))
        assert "no longer available" in emu.callback_answer(qid).get("text", "")
    await asyncio.sleep(0.3)
    assert len(emu.messages(bob_chat.id)) == before  # Alice's quotes never reached Bob's chat
    assert all(f["answer_id"] != answer_id for f in state.feedback())
