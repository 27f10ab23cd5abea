"""Three bot processes behave as one bot: `python -m bot` ×3 in webhook mode behind a round-robin
reverse proxy, one `chroma run`, one PostgreSQL (a throw-away cluster), as the README deploys it.

Consecutive updates reach different processes (the proxy takes turns, skipping a process that
refuses connections, like nginx's `proxy_next_upstream error`). Nothing here tells a process
what another did: whatever they agree on, they agree on through the database and the index.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
from aiohttp import web

from tests.botapi_emulator import BotApiEmulator
from tests.conftest import free_port
from tests.test_bot import ADMIN, ALICE, BOB, CAROL, TOKEN
from tests.test_webhook import SECRET, listening, start_bot_process

DOCUMENTS = {
    "orkney.md": "---\ntitle: Orkney Tidal Compact\ndate: 2026-02-01\n---\n\nThe Orkney Tidal Compact funds a "
                 "turbine array at Eday. Its budget is 40 million euros over five years.\n",
    "busan.md": "---\ntitle: Busan Harbour Note\ndate: 2026-03-01\n---\n\nThe port of Busan will host a joint "
                "Japan-Korea ammonia bunkering pilot in 2027. Its budget is 12 million euros.\n",
}
KELP = b"Kelp Farming Memo\n\nThe kelp farming memo says Jeju will trial kelp carbon credits from 2028."
LUNAR = (b"Lunar Mining Charter\n\nProspecting rights under the Lunar Mining Charter belong to the Selene "
         b"Consortium.\n\n" + b"\n\n".join(  # long enough to take a few seconds to index, even for a warm worker
             b"Clause %d of the charter sets the royalty for crater %d at %d percent." % (i, i, i % 7 + 1)
             for i in range(150)))
GROUP, QUIET_GROUP = -100500, -100501
DB_PASSWORD = "db-password-for-tests"  # the test server trusts 127.0.0.1; the bots must still hide it


class RoundRobinProxy:
    """The load balancer: each request goes to the next backend in turn."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.served: list[tuple[int, dict]] = []  # (backend index, update) per delivered update
        self._turn = itertools.count()

    async def start(self) -> RoundRobinProxy:
        app = web.Application()
        app.router.add_post("/telegram", self._forward)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/telegram"
        return self

    async def stop(self) -> None:
        await self._session.close()
        await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
        for _ in self.backends:
            i = next(self._turn) % len(self.backends)
            try:
                async with self._session.post(self.backends[i], data=body, headers=headers) as response:
                    payload = await response.read()
                    if response.status == 200:
                        self.served.append((i, json.loads(body)))
                    return web.Response(status=response.status, body=payload)
            except aiohttp.ClientConnectionError:
                continue  # that process is down: the next one takes the request
        return web.Response(status=502)

    def backend_of(self, predicate) -> int:
        return next(i for i, update in self.served if predicate(update))


def message(sent: dict):
    return lambda update: {k: (update.get("message") or {}).get(k) for k in ("message_id", "chat")} == \
        {"message_id": sent["message_id"], "chat": sent["chat"]}


def document_named(name: str, nth: int = 0):
    seen = itertools.count()
    return lambda update: ((update.get("message") or {}).get("document") or {}).get("file_name") == name \
        and next(seen) == nth


def callback(query_id: str):
    return lambda update: (update.get("callback_query") or {}).get("id") == query_id


class Deployment:
    def __init__(self, tmp_path, postgres_url: str, chroma_port: int, emu: BotApiEmulator, proxy: RoundRobinProxy,
                 ports: list[int]) -> None:
        self.tmp_path, self.emu, self.proxy, self.ports = tmp_path, emu, proxy, ports
        self.documents = tmp_path / "documents"
        self.documents.mkdir()
        for name, text in DOCUMENTS.items():
            (self.documents / name).write_text(text, encoding="utf-8")
        self.settings = {
            "DATABASE_URL": postgres_url, "DOCUMENTS_DIR": str(self.documents), "WEBHOOK_URL": proxy.url,
            "BRIEFING_CHECK_SECONDS": "1", "TIMEZONE": "UTC", "USER_RATE_LIMIT_PER_MINUTE": "1000",
            "CHROMA_COLLECTION_PREFIX": "scale-out", "LOG_LEVEL": "INFO",
        }
        self.chroma_port = chroma_port
        self.procs: list[subprocess.Popen | None] = [None] * len(ports)
        self.logs = [tmp_path / f"bot-{i}.log" for i in range(len(ports))]

    def start(self, i: int) -> None:
        self.procs[i] = start_bot_process(self.emu, self.tmp_path / f"data-{i}", self.chroma_port, self.ports[i],
                                          open(self.logs[i], "ab"), **self.settings)

    async def wait_listening(self, i: int) -> None:
        await listening(self.ports[i], self.procs[i], self.logs[i], timeout=120)

    def kill(self, i: int) -> None:
        """SIGKILL, as a crash or an OOM kill would: the process and its upload worker, at once."""
        os.killpg(self.procs[i].pid, signal.SIGKILL)
        self.procs[i].wait()

    def stop_all(self) -> None:
        for proc in self.procs:  # SIGTERM: PTB stops taking updates, finishes handlers, then exits
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            if proc:
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # whatever it started and left behind
                except ProcessLookupError:
                    pass
                proc.wait()


@pytest.fixture
async def deployment(tmp_path, postgres, chroma_server):
    emu = await BotApiEmulator(TOKEN).start()
    ports = [free_port() for _ in range(3)]
    proxy = await RoundRobinProxy([f"http://127.0.0.1:{port}/telegram" for port in ports]).start()
    database_url = postgres.new_database().replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    bots = Deployment(tmp_path, database_url, chroma_server, emu, proxy, ports)
    try:
        for i in range(3):  # all at once, on an empty database and an empty index
            bots.start(i)
        for i in range(3):
            await bots.wait_listening(i)
        await emu.wait_for(lambda: emu.calls.get("setWebhook", 0) >= 3 and emu.webhook_url == proxy.url, timeout=30)
        yield bots
    finally:
        bots.stop_all()
        await proxy.stop()
        await emu.stop()
        for i, log in enumerate(bots.logs):  # whatever was logged: never the token, the webhook secret or the password
            text = log.read_text(errors="replace") if log.exists() else ""
            print(f"--- the last lines of process {i}'s log (shown by pytest if the test failed) ---")
            print("\n".join(text.splitlines()[-80:]))
            assert TOKEN.split(":")[1] not in text and SECRET not in text and DB_PASSWORD not in text


async def test_three_processes_behind_a_proxy_behave_as_one_bot(deployment):
    bots, emu, proxy = deployment, deployment.emu, deployment.proxy
    assert emu.webhook_url == proxy.url and emu.webhook_secret == SECRET  # registered by each process
    users = {uid: emu.user(uid, name, name.lower()) for uid, name in
             [(ADMIN, "Admin"), (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")]}
    group = emu.group(GROUP, "Harbour Watch", admins=[BOB])
    quiet = emu.group(QUIET_GROUP, "Quiet Room", admins=[BOB])

    async def say(chat, user, text: str, expect: str = "") -> tuple:
        """The reply (the first new message containing `expect`) and which process took the message."""
        before = len(emu.messages(chat.id))
        sent = emu.send_text(chat, user, text)
        replies = await emu.wait_for(lambda: [m for m in emu.messages(chat.id)[before:] if expect in m.text], timeout=60)
        return replies[0], proxy.backend_of(message(sent))

    first_briefing: list[datetime] = []

    async def watch_briefings() -> None:
        while not any("Briefing" in m.text for m in emu.messages(GROUP)):
            await asyncio.sleep(0.05)
        first_briefing.append(datetime.now(timezone.utc))

    async def press(chat, user, message, label: str) -> tuple[dict, int]:
        query_id = emu.press_button(chat, user, message.message_id, message.button(label)["callback_data"])
        await emu.wait_for(lambda: emu.callback_answer(query_id), timeout=30)
        return emu.callback_answer(query_id), proxy.backend_of(callback(query_id))

    # Daily briefings at the next full minute (at least 10 s away). One chat keeps its
    # subscription; the other ends it at once, through another process.
    slot = (datetime.now(timezone.utc) + timedelta(seconds=70)).replace(second=0, microsecond=0)
    at = slot.strftime("%H:%M")
    watcher = asyncio.create_task(watch_briefings())
    confirmed, _ = await say(group, users[BOB], f"/subscribe {at} tidal power")
    assert f"Daily briefing on tidal power at {at}" in confirmed.text
    _, subscribed_by = await say(quiet, users[BOB], f"/subscribe {at} tidal power")
    stopped, stopped_by = await say(quiet, users[BOB], "/unsubscribe")
    assert "Stopped 1" in stopped.text and stopped_by != subscribed_by

    # The first start indexed documents/ once, whichever process did it; every process knows.
    admin_chat = emu.private_chat(users[ADMIN])
    starts = [await say(emu.private_chat(users[uid]), users[uid], "/start") for uid in (ALICE, BOB, CAROL)]
    assert {backend for _, backend in starts} == {0, 1, 2}
    assert all("about 2 policy documents" in reply.text for reply, _ in starts)

    # An answer from one process; its buttons pressed on the others.
    alice_chat = emu.private_chat(users[ALICE])
    answer, answered_by = await say(alice_chat, users[ALICE], "What does the Orkney Tidal Compact fund?")
    assert "turbine array" in answer.text and "[1]" in answer.text
    before = len(emu.messages(alice_chat.id))
    _, quotes_by = await press(alice_chat, users[ALICE], answer, "Show quotes")
    quotes = (await emu.wait_for_messages(alice_chat.id, before + 1))[before]
    assert quotes_by != answered_by and "Eday" in quotes.text and quotes.reply_to_message_id == answer.message_id
    votes = [await press(alice_chat, users[ALICE], answer, "👍") for _ in range(3)]
    assert {by for _, by in votes} == {0, 1, 2} and all("Thanks" in a.get("text", "") for a, _ in votes)
    # A follow-up reaching another process is read with the earlier question (alone, "its budget"
    # would be the Busan pilot's: the only budget sentence close enough to it).
    follow_up, follow_up_by = await say(alice_chat, users[ALICE], "And its budget?")
    assert follow_up_by != answered_by
    assert "Orkney Tidal Compact" in follow_up.text and "Busan" not in follow_up.text

    # The same file sent twice in a row: two processes index it at once; one document results.
    before = len(emu.messages(admin_chat.id))
    emu.send_document(admin_chat, users[ADMIN], "kelp.txt", KELP)
    emu.send_document(admin_chat, users[ADMIN], "kelp.txt", KELP)
    statuses = (await emu.wait_for_messages(admin_chat.id, before + 2))[before:before + 2]
    await emu.wait_for(lambda: all(("Added" in s.text or "Already indexed" in s.text) for s in statuses), timeout=90)
    assert proxy.backend_of(document_named("kelp.txt", 0)) != proxy.backend_of(document_named("kelp.txt", 1))
    assert sorted("Added" in s.text for s in statuses) == [False, True]

    # A process killed in the middle of indexing an upload, then started again: the upload is
    # finished (by whichever process takes it over) and nothing it had is lost.
    before = len(emu.messages(admin_chat.id))
    emu.send_document(admin_chat, users[ADMIN], "lunar.txt", LUNAR)
    status = (await emu.wait_for_messages(admin_chat.id, before + 1))[before]
    await emu.wait_for(lambda: "Indexing" in status.text, timeout=60)
    victim = proxy.backend_of(document_named("lunar.txt"))
    bots.kill(victim)
    await asyncio.sleep(1.0)
    assert "Indexing" in status.text and "Added" not in status.text  # it really was cut off
    bots.start(victim)
    await bots.wait_listening(victim)
    await emu.wait_for(lambda: "Added" in status.text, timeout=90)
    reply, _ = await say(emu.private_chat(users[CAROL]), users[CAROL], "Who holds prospecting rights under the Lunar Mining Charter?")
    assert "Selene Consortium" in reply.text

    # Every process answers the same about everything, the restarted one included.
    stats = [await say(admin_chat, users[ADMIN], "/stats") for _ in range(3)]
    assert {by for _, by in stats} == {0, 1, 2}
    assert len({reply.text for reply, _ in stats}) == 1
    assert "👍 1 · 👎 0" in stats[0][0].text and "Documents: 4" in stats[0][0].text
    listing, _ = await say(group, users[ALICE], "/subscriptions", expect="Scheduled briefings")
    assert at in listing.text and "tidal power" in listing.text
    kelp_id = next(line.split()[1] for s in statuses for line in s.text.splitlines() if line.startswith("id "))
    confirm, _ = await say(admin_chat, users[ADMIN], f"/remove {kelp_id}")
    assert "Kelp Farming Memo" in confirm.text  # one document, so it can be removed

    # The briefing: posted once, at its time, by one of the three; the ended one never.
    await asyncio.wait_for(watcher, timeout=120)
    assert first_briefing[0] >= slot  # not before its time
    await asyncio.sleep(3.0)  # three more checks by each process
    briefings = [m for m in emu.messages(GROUP) if "Briefing" in m.text]
    assert len(briefings) == 1 and "tidal power" in briefings[0].text and "Eday" in briefings[0].text
    assert not any("Briefing" in m.text for m in emu.messages(QUIET_GROUP))

    # Requests that do not carry the webhook secret are refused, by every process.
    update = {"update_id": 10**6, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"},
                                               "from": {"id": 5, "is_bot": False, "first_name": "Eve"}, "text": "hi"}}
    async with aiohttp.ClientSession() as session:
        for backend in proxy.backends:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(backend, json=update, headers=headers) as response:
                    assert response.status == 403
    assert emu.messages(5) == []
