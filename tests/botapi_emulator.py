"""A wire-level fake of the Telegram Bot API on 127.0.0.1, for end-to-end tests of the real bot.

The bot under test is python-telegram-bot's unmodified `Application`, pointed here with
`base_url(emu.base_url)` / `base_file_url(emu.base_file_url)`. Responses are shaped like
Telegram's (PTB parses them), and requests are validated like Telegram does: HTML entities,
the 4096-character limit, callback data size, "message is not modified".

A test plays users through plain methods:

    emu = BotApiEmulator(token); await emu.start()
    alice = emu.user(1001, "Alice"); chat = emu.private_chat(alice)
    emu.send_text(chat, alice, "What is age-tech?")
    reply = (await emu.wait_for_messages(chat.id, 1))[0]
    emu.press_button(chat, alice, reply.message_id, reply.buttons()[0].callback_data)
    emu.send_document(chat, alice, "brief.pdf", data)
    query_id = emu.send_inline_query(alice, "What is age-tech?")   # "@bot What is age-tech?" anywhere
    answer = await emu.wait_for_inline_answer(query_id)             # what answerInlineQuery sent
    posted = emu.choose_inline_result(group, alice, query_id, answer["results"][0]["id"])
    emu.inject_fault("sendMessage", status=429, retry_after=1)

Only the methods this project's bot uses are implemented; anything else answers 404.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
                "pre", "blockquote", "tg-emoji"}
JSON_FIELDS = {"reply_markup", "entities", "commands", "scope", "reply_parameters", "allowed_updates",
               "link_preview_options", "caption_entities", "results", "button"}
# Sent unless a bot asks otherwise with allowed_updates (Telegram's default leaves these out).
NOT_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
INLINE_QUERY_GONE = "Bad Request: query is too old and response timeout expired or query ID is invalid"
MAX_INLINE_RESULTS = 50
MAX_TEXT = 4096


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict:
        data = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    admins: set[int] = field(default_factory=set)
    user: User | None = None

    def to_api(self) -> dict:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        if self.user:
            data["first_name"] = self.user.first_name
        return data


@dataclass
class SentMessage:
    """What the bot sent, as a user would see it."""

    message_id: int
    chat_id: int
    html: str
    text: str  # plain text after entity parsing
    parse_mode: str | None
    reply_markup: dict | None
    reply_to_message_id: int | None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False

    def buttons(self) -> list[dict]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b for row in rows for b in row]

    def button(self, label: str) -> dict:
        return next(b for b in self.buttons() if label in b["text"])


class _HtmlCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.plain: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f"unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f"unmatched end tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.plain.append(data)


def parse_html(text: str) -> str:
    """The plain text Telegram would show, or ApiError as Telegram would answer."""
    bare = re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text)
    if bare:
        raise ApiError(400, f"Bad Request: can't parse entities: unsupported entity at byte offset {bare.start()}")
    if re.search(r"<(?![a-zA-Z/])", text):
        raise ApiError(400, "Bad Request: can't parse entities: unexpected \"<\"")
    checker = _HtmlCheck()
    checker.feed(text)
    checker.close()
    if checker.error or checker.stack:
        raise ApiError(400, f"Bad Request: can't parse entities: {checker.error or 'unclosed tag'}")
    return "".join(checker.plain)


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotApiEmulator:
    def __init__(self, token: str, bot_username: str = "PolicyResearchBot", bot_id: int = 777000111,
                 privacy_mode: bool = True, inline_mode: bool = True) -> None:
        self.token = token
        self.bot = User(bot_id, "Policy Research", bot_username, is_bot=True)
        self.privacy_mode = privacy_mode
        self.inline_mode = inline_mode  # BotFather's /setinline
        self.inline_queries: dict[str, dict] = {}
        self.inline_answers: dict[str, dict] = {}
        self.allowed_updates: set[str] | None = None  # None: Telegram's default
        self.dropped_updates: list[dict] = []  # of a type the bot did not ask for
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.sent: dict[int, list[SentMessage]] = {}
        self.incoming: dict[int, dict[int, dict]] = {}  # chat -> message id -> message as delivered
        self.files: dict[str, tuple[bytes, str]] = {}
        self.commands: dict[str, list[dict]] = {}
        self.callback_answers: list[dict] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.calls: dict[str, int] = {}
        self.forbidden_chats: set[int] = set()
        self._faults: dict[str, list[dict]] = {}
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = {}
        self._new_update = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Webhook mode: updates are POSTed to `webhook_url` (or, standing in for a load
        # balancer, round-robin to `webhook_backends`) with the secret header, as Telegram does.
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_backends: list[str] = []
        self.webhook_deliveries: list[tuple[str, int, int]] = []  # (url, update_id, HTTP status)
        self._backend_turn = itertools.count()
        self._deliveries: set[asyncio.Task] = set()

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> BotApiEmulator:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]
        return self

    async def go_offline(self, seconds: float) -> None:
        """Refuse connections for a while, as when Telegram is unreachable: the listening socket
        closes and open keep-alive connections are dropped; then it listens on the same port again."""
        await self._site.stop()
        for handler in list(self._runner.server.connections):
            handler.force_close()
            if handler.transport is not None:
                handler.transport.abort()
        self.offline_until = time.monotonic() + seconds

        async def back_online() -> None:
            await asyncio.sleep(seconds)
            self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            await self._site.start()

        self._reopen = asyncio.create_task(back_online())

    async def stop(self) -> None:
        for task in list(self._deliveries):
            task.cancel()
        if self._runner:
            await self._runner.cleanup()

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc):
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- the test's side ---------------------------------------------------------------------
    def user(self, user_id: int, first_name: str, username: str | None = None) -> User:
        return self.users.setdefault(user_id, User(user_id, first_name, username))

    def private_chat(self, user: User) -> Chat:
        return self.chats.setdefault(user.id, Chat(user.id, "private", user=user))

    def group(self, chat_id: int, title: str, admins: list[int] = (), supergroup: bool = True) -> Chat:
        chat = Chat(chat_id, "supergroup" if supergroup else "group", title, set(admins))
        self.chats[chat_id] = chat
        return chat

    def send_text(self, chat: Chat, user: User, text: str, reply_to_message_id: int | None = None) -> dict:
        message = self._message(chat, user, text=text)
        entities = []
        command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": _units(command.group(0))})
        for m in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{5,32}", text):
            entities.append({"type": "mention", "offset": _units(text[: m.start()]), "length": _units(m.group(0))})
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._find_message(chat.id, reply_to_message_id)
        if self._bot_receives(chat, message):
            self._push({"message": message})
        return message

    def send_document(self, chat: Chat, user: User, filename: str, data: bytes, mime_type: str | None = None,
                      caption: str | None = None, declared_size: int | None = None) -> dict:
        file_id = f"doc{len(self.files) + 1}"
        self.files[file_id] = (data, filename)
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": filename,
                    "mime_type": mime_type or "application/octet-stream",
                    "file_size": declared_size if declared_size is not None else len(data)}
        message = self._message(chat, user, document=document)
        if caption:
            message["caption"] = caption
        if self._bot_receives(chat, message):
            self._push({"message": message})
        return message

    def press_button(self, chat: Chat, user: User, message_id: int, callback_data: str) -> str:
        sent = self._sent_message(chat.id, message_id)
        query_id = f"cb{next(self._update_ids)}"
        self._push({"callback_query": {
            "id": query_id, "from": user.to_api(), "chat_instance": f"ci{chat.id}",
            "data": callback_data, "message": self._as_api(sent),
        }})
        return query_id

    def send_inline_query(self, user: User, query: str, chat_type: str = "sender", deliver: bool = True) -> str:
        """The user types `@bot query` in some chat; returns the inline query's id. With
        deliver=False the query exists but the bot never hears of it (for answering it by hand)."""
        if not self.inline_mode:
            raise RuntimeError("inline mode is off for this bot: Telegram sends no inline queries")
        query_id = str(4_000_000_000 + next(self._update_ids))
        self.inline_queries[query_id] = {"id": query_id, "from": user.to_api(), "query": query[:256],
                                         "offset": "", "chat_type": chat_type}
        if deliver:
            self._push({"inline_query": self.inline_queries[query_id]})
        return query_id

    def inline_answer(self, query_id: str) -> dict | None:
        return self.inline_answers.get(query_id)

    async def wait_for_inline_answer(self, query_id: str, timeout: float = 30.0) -> dict:
        return await self.wait_for(lambda: self.inline_answers.get(query_id), timeout)

    def choose_inline_result(self, chat: Chat, user: User, query_id: str, result_id: str) -> dict:
        """The user taps a result: its message is posted in `chat` by the user, "via @bot"."""
        result = next(r for r in self.inline_answers[query_id]["results"] if r["id"] == result_id)
        content = result["input_message_content"]
        html = content["message_text"]
        text = parse_html(html) if (content.get("parse_mode") or "").upper() == "HTML" else html
        message = self._message(chat, user, text=text, via_bot=self.bot.to_api())
        if self._bot_receives(chat, message):
            self._push({"message": message})
        return message

    def messages(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent.get(chat_id, []) if not m.deleted]

    async def wait_for(self, predicate, timeout: float = 30.0, interval: float = 0.02):
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(interval)

    async def wait_for_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> list[SentMessage]:
        return await self.wait_for(lambda: len(self.messages(chat_id)) >= count and self.messages(chat_id), timeout)

    def callback_answer(self, query_id: str) -> dict | None:
        return next((a for a in self.callback_answers if a["callback_query_id"] == query_id), None)

    def inject_fault(self, method: str, status: int = 500, *, retry_after: int | None = None,
                     delay: float = 0.0, times: int = 1, description: str | None = None) -> None:
        """The next `times` calls of `method` fail (or are delayed) like Telegram's would."""
        self._faults.setdefault(method, []).extend(
            [{"status": status, "retry_after": retry_after, "delay": delay, "description": description}] * times
        )

    def pending_updates(self) -> int:
        return len(self._updates)

    # -- internals ---------------------------------------------------------------------------
    def _message(self, chat: Chat, user: User, **content) -> dict:
        counter = self._message_ids.setdefault(chat.id, itertools.count(1))
        message = {"message_id": next(counter), "date": int(time.time()), "chat": chat.to_api(),
                   "from": user.to_api(), **content}
        self.incoming.setdefault(chat.id, {})[message["message_id"]] = message
        return message

    def _bot_receives(self, chat: Chat, message: dict) -> bool:
        if chat.type == "private" or not self.privacy_mode:
            return True
        text = message.get("text", "")
        if text.startswith("/"):
            return True
        if f"@{self.bot.username}".lower() in text.lower():
            return True
        reply = message.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot.id)

    def _push(self, update: dict) -> None:
        update["update_id"] = next(self._update_ids)
        if self.webhook_url:
            if not self._allowed(update):
                self.dropped_updates.append(update)
                return
            task = asyncio.get_running_loop().create_task(self._deliver(update))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
            return
        self._updates.append(update)
        self._new_update.set()

    async def _deliver(self, update: dict, attempts: int = 5) -> None:
        """POST one update to the webhook; like Telegram, retry until a 2xx (here: a few times)."""
        import aiohttp

        backends = self.webhook_backends or [self.webhook_url]
        url = backends[next(self._backend_turn) % len(backends)]
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        async with aiohttp.ClientSession() as session:
            for attempt in range(attempts):
                try:
                    async with session.post(url, json=update, headers=headers) as response:
                        self.webhook_deliveries.append((url, update["update_id"], response.status))
                        if 200 <= response.status < 300:
                            return
                except aiohttp.ClientError:
                    self.webhook_deliveries.append((url, update["update_id"], 0))
                await asyncio.sleep(0.2 * (attempt + 1))

    def _find_message(self, chat_id: int, message_id: int) -> dict:
        for m in self.sent.get(chat_id, []):
            if m.message_id == message_id:
                return self._as_api(m)
        return self.incoming[chat_id][message_id]

    def _sent_message(self, chat_id: int, message_id: int) -> SentMessage:
        for m in self.sent.get(chat_id, []):
            if m.message_id == message_id and not m.deleted:
                return m
        raise ApiError(400, "Bad Request: message to edit not found")

    def _as_api(self, m: SentMessage) -> dict:
        data = {"message_id": m.message_id, "date": int(time.time()), "chat": self.chats[m.chat_id].to_api(),
                "from": self.bot.to_api(), "text": m.text}
        if m.reply_markup:
            data["reply_markup"] = m.reply_markup
        return data

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.read()
            return json.loads(body) if body else {}
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            for key, value in form.items():
                params[key] = value.file.read() if hasattr(value, "file") else value
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        self.calls[method] = self.calls.get(method, 0) + 1
        params = await self._params(request)  # received: a slow reply below is still acted on
        faults = self._faults.get(method) or self._faults.get(method.lower())
        if faults:
            fault = faults.pop(0)
            if fault["delay"]:
                await asyncio.sleep(fault["delay"])
            if fault["status"] != 200:
                return self._error(ApiError(
                    fault["status"],
                    fault["description"] or ("Too Many Requests: retry after %s" % fault["retry_after"]
                                             if fault["status"] == 429 else "Internal Server Error"),
                    {"retry_after": fault["retry_after"]} if fault["retry_after"] else None,
                ))
        handler = getattr(self, f"_api_{method.lower()}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        try:
            result = await handler(params)
        except ApiError as e:
            return self._error(e)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(e: ApiError) -> web.Response:
        body = {"ok": False, "error_code": e.code, "description": e.description}
        if e.parameters:
            body["parameters"] = e.parameters
        return web.json_response(body, status=e.code)

    def _chat(self, chat_id) -> Chat:
        chat = self.chats.get(int(chat_id))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.id in self.forbidden_chats:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def _validate_text(self, params: dict) -> tuple[str, str]:
        html = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        plain = parse_html(html) if (parse_mode or "").upper() == "HTML" else html
        if not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _units(plain) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        for button in (b for row in (params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row):
            if len(button.get("callback_data", "").encode()) > 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return html, plain

    # -- Bot API methods -----------------------------------------------------------------------
    async def _api_getme(self, params):
        return {**self.bot.to_api(), "can_join_groups": True, "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": self.inline_mode}

    async def _api_answerinlinequery(self, params):
        query_id = str(params.get("inline_query_id", ""))
        if query_id not in self.inline_queries or query_id in self.inline_answers:
            raise ApiError(400, INLINE_QUERY_GONE)  # unknown, or answered already
        results = params.get("results") or []
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        ids = set()
        for result in results:
            result_id = str(result.get("id", ""))
            if not result_id or len(result_id.encode()) > 64:
                raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
            if result_id in ids:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            ids.add(result_id)
            if result.get("type") == "article":
                if not str(result.get("title", "")).strip():
                    raise ApiError(400, "Bad Request: RESULT_TITLE_EMPTY")
                content = result.get("input_message_content") or {}
                if "message_text" not in content:
                    raise ApiError(400, "Bad Request: MESSAGE_EMPTY")
                self._validate_text({"text": content["message_text"], "parse_mode": content.get("parse_mode")})
        button = params.get("button")
        if button is not None:
            start = button.get("start_parameter")
            if not str(button.get("text", "")).strip() or (start is None) == (button.get("web_app") is None):
                raise ApiError(400, "Bad Request: BUTTON_INVALID")
            if start is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", start):
                raise ApiError(400, "Bad Request: START_PARAM_INVALID")
        self.inline_answers[query_id] = {
            "results": results, "cache_time": int(params.get("cache_time", 300)),
            "is_personal": str(params.get("is_personal", "false")).lower() == "true", "button": button,
        }
        return True

    async def _api_getupdates(self, params):
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        limit = int(params.get("limit") or 100)
        if "allowed_updates" in params:  # remembered until changed, as Telegram does
            self.allowed_updates = set(params["allowed_updates"] or ()) or None
        delivered = [u for u in self._updates if self._allowed(u)]
        self.dropped_updates += [u for u in self._updates if not self._allowed(u)]
        self._updates = delivered
        return delivered[:limit]

    def _allowed(self, update: dict) -> bool:
        kind = next(k for k in update if k != "update_id")
        return kind in self.allowed_updates if self.allowed_updates is not None else kind not in NOT_BY_DEFAULT

    async def _api_sendmessage(self, params):
        chat = self._chat(params["chat_id"])
        html, plain = self._validate_text(params)
        reply_to = params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get("message_id")
        counter = self._message_ids.setdefault(chat.id, itertools.count(1))
        message = SentMessage(next(counter), chat.id, html, plain, params.get("parse_mode"),
                              params.get("reply_markup"), int(reply_to) if reply_to else None)
        self.sent.setdefault(chat.id, []).append(message)
        return self._as_api(message)

    async def _api_editmessagetext(self, params):
        message = self._sent_message(int(params["chat_id"]), int(params["message_id"]))
        html, plain = self._validate_text(params)
        if html == message.html and params.get("reply_markup") == message.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message.edits.append(message.html)
        message.html, message.text, message.parse_mode = html, plain, params.get("parse_mode")
        message.reply_markup = params.get("reply_markup")
        return self._as_api(message)

    async def _api_editmessagereplymarkup(self, params):
        message = self._sent_message(int(params["chat_id"]), int(params["message_id"]))
        message.reply_markup = params.get("reply_markup")
        return self._as_api(message)

    async def _api_deletemessage(self, params):
        self._sent_message(int(params["chat_id"]), int(params["message_id"])).deleted = True
        return True

    async def _api_answercallbackquery(self, params):
        self.callback_answers.append(dict(params))
        return True

    async def _api_sendchataction(self, params):
        self._chat(params["chat_id"])
        self.chat_actions.append((int(params["chat_id"]), params.get("action", "")))
        return True

    async def _api_setmycommands(self, params):
        self.commands[json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)] = params["commands"]
        return True

    async def _api_getmycommands(self, params):
        return self.commands.get(json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True), [])

    async def _api_deletemycommands(self, params):
        self.commands.pop(json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True), None)
        return True

    async def _api_getchat(self, params):
        return {**self._chat(params["chat_id"]).to_api(), "accent_color_id": 0, "max_reaction_count": 11}

    async def _api_getchatmember(self, params):
        chat = self._chat(params["chat_id"])
        user = self.users.get(int(params["user_id"])) or User(int(params["user_id"]), "Someone")
        status = "administrator" if user.id in chat.admins else "member"
        member = {"status": status, "user": user.to_api()}
        if status == "administrator":
            member.update({k: True for k in ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                                             "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                                             "can_change_info", "can_invite_users", "can_post_stories",
                                             "can_edit_stories", "can_delete_stories")})
        return member

    async def _api_getfile(self, params):
        file_id = params["file_id"]
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        data, name = self.files[file_id]
        if len(data) > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data),
                "file_path": f"documents/{file_id}_{re.sub(r'[^A-Za-z0-9._-]', '_', name)}"}

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].split("/")[-1].split("_")[0]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id][0])

    async def _api_setwebhook(self, params):
        url = params.get("url") or ""
        if not url.startswith(("https://", "http://127.0.0.1")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token") or ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook_url, self.webhook_secret = url, secret
        if "allowed_updates" in params:
            self.allowed_updates = set(params["allowed_updates"] or ()) or None
        pending, self._updates = self._updates, []
        for update in pending:  # queued updates go out through the webhook now
            self._push({k: v for k, v in update.items() if k != "update_id"})
        return True

    async def _api_deletewebhook(self, params):
        self.webhook_url = self.webhook_secret = ""
        return True

    async def _api_getwebhookinfo(self, params):
        return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._updates)}

    async def _api_close(self, params):
        return True

    async def _api_logout(self, params):
        return True
