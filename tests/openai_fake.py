"""A wire-level fake of an OpenAI-compatible `/v1/chat/completions` server on 127.0.0.1.

The project's real client stack (LangChain's ChatOpenAI → the openai SDK → httpx) talks to it
over HTTP, streaming included (server-sent events, as OpenAI, vLLM and llama.cpp send them).
Each test scripts the replies:

    with OpenAIFake() as llm:
        llm.reply("Lee met Ishiba in Tokyo [1].")          # next completion
        llm.fail(500)                                        # then an HTTP 500
        llm.hang(5)                                          # then no answer for 5 s
        settings = Settings(answer_mode="llm", openai_base_url=llm.base_url, ...)

A reply may also be a function of the request (to answer with what the prompt contains).
`llm.requests` keeps every request body, so tests can check what the model was shown.

It runs in its own thread and event loop: the code under test calls the model synchronously
from worker threads, and must not share a loop with the test that drives it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Scripted:
    text: str | Callable[[dict], str] = ""
    status: int = 200
    delay: float = 0.0
    chunk_chars: int = 12  # streamed in pieces of this many characters


class OpenAIFake:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: deque[Scripted] = deque()
        self.default: Scripted | None = None
        self.base_url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # -- scripting ------------------------------------------------------------------------
    def reply(self, text: str | Callable[[dict], str], *, chunk_chars: int = 12) -> None:
        self.script.append(Scripted(text, chunk_chars=chunk_chars))

    def fail(self, status: int) -> None:
        self.script.append(Scripted("", status=status))

    def garbage(self) -> None:
        """A 200 whose body is not an API response (a proxy's error page, say)."""
        self.script.append(Scripted("", status=-200))

    def hang(self, seconds: float) -> None:
        self.script.append(Scripted("too late", delay=seconds))

    def always(self, text: str | Callable[[dict], str]) -> None:
        self.default = Scripted(text)

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> OpenAIFake:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_post("/api/chat", self._ollama_chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.root_url = f"http://127.0.0.1:{port}"  # Ollama's API lives at the root
        self.base_url = f"{self.root_url}/v1"

    # -- the route ----------------------------------------------------------------------------
    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        step = self.script.popleft() if self.script else self.default
        if step is None:
            return web.json_response({"error": {"message": "no scripted reply", "type": "test"}}, status=500)
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.status == -200:
            return web.Response(text="<html><body>Bad gateway</body></html>", content_type="text/html")
        if step.status != 200:
            return web.json_response({"error": {"message": f"scripted {step.status}", "type": "server_error"}},
                                     status=step.status)
        text = step.text(body) if callable(step.text) else step.text
        created, model = int(time.time()), body.get("model", "fake")
        if not body.get("stream"):
            return web.json_response({
                "id": "chatcmpl-fake", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)

        async def event(delta: dict, finish: str | None = None) -> None:
            chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": created, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await event({"role": "assistant", "content": ""})
        for i in range(0, len(text), step.chunk_chars):
            await event({"content": text[i : i + step.chunk_chars]})
            await asyncio.sleep(0.01)
        await event({}, "stop")
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


    async def _ollama_chat(self, request: web.Request) -> web.StreamResponse:
        """Ollama's /api/chat: one JSON object, or newline-delimited JSON objects when streaming."""
        body = await request.json()
        self.requests.append(body)
        step = self.script.popleft() if self.script else self.default
        if step is None or step.status != 200:
            return web.json_response({"error": "scripted failure"}, status=step.status if step else 500)
        text = step.text(body) if callable(step.text) else step.text
        model = body.get("model", "fake")

        def line(content: str, done: bool) -> dict:
            item = {"model": model, "created_at": "2026-11-29T00:00:00Z",
                    "message": {"role": "assistant", "content": content}, "done": done}
            if done:
                item.update({"done_reason": "stop", "total_duration": 1, "prompt_eval_count": 1, "eval_count": 1})
            return item

        if body.get("stream") is False:
            return web.json_response(line(text, True))
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for i in range(0, len(text), step.chunk_chars):
            await response.write((json.dumps(line(text[i : i + step.chunk_chars], False)) + "\n").encode())
        await response.write((json.dumps(line("", True)) + "\n").encode())
        await response.write_eof()
        return response


def passages_in(request: dict) -> str:
    """The text of the prompt the model was sent (all messages)."""
    return "\n".join(str(m.get("content", "")) for m in request.get("messages", []))
