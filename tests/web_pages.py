"""A small web site on 127.0.0.1 for the tests of documents added by link.

Pages are built like real ones: an article wrapped in navigation, scripts, a cookie banner, a
newsletter box, related links and a footer, and an advert whose nonce changes on every request.
Also PDFs, redirects, a huge body, a slow answer, a 404 and an image.

    site = PageServer().start()   # serves from its own thread, so sync code (the CLI) can call it too
    url = site.article("tidal", "Tidal Energy Accord", ["First paragraph.", ...], date="2026-03-14")
    ...
    site.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from html import escape

from aiohttp import web

from tests.test_loading import _pdf_bytes

BOILERPLATE_WORDS = ("cookies", "newsletter", "Advertisement", "All rights reserved", "Related articles",
                     "dataLayer", "About us")


class PageServer:
    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}  # path -> (content type, body)
        self.hits: Counter[str] = Counter()
        self._nonce = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def start(self) -> PageServer:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="page-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test web server did not start")
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/redirect/{n:\\d+}", self._redirect_chain)
        app.router.add_get("/redirect-to", self._redirect_to)
        app.router.add_get("/huge", self._huge)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/{path:.*}", self._page)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    # -- content -------------------------------------------------------------------------
    def article(self, path: str, title: str, paragraphs: list[str], *, date: str = "",
                site: str = "Ocean Policy Review", heading: str = "") -> str:
        """An article page at /path; returns its URL. Calling it again changes the page."""
        self.pages["/" + path] = ("text/html; charset=utf-8",
                                  _article_html(title, paragraphs, date, site, heading).encode())
        return self.url("/" + path)

    def pdf(self, path: str, text: str, content_type: str = "application/pdf") -> str:
        self.pages["/" + path] = (content_type, _pdf_bytes(text))
        return self.url("/" + path)

    def raw(self, path: str, content_type: str, body: bytes) -> str:
        self.pages["/" + path] = (content_type, body)
        return self.url("/" + path)

    # -- handlers ------------------------------------------------------------------------
    async def _page(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        if request.path not in self.pages:
            return web.Response(status=404, text="<html><body><h1>Not found</h1></body></html>",
                                content_type="text/html")
        content_type, body = self.pages[request.path]
        # The advert and the script nonce differ on every request, as on real news sites.
        body = body.replace(b"{nonce}", str(next(self._nonce)).encode())
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _redirect_chain(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        n = int(request.match_info["n"])
        target = request.query.get("to", "/")
        location = f"/redirect/{n - 1}?to={target}" if n > 1 else target
        raise web.HTTPFound(location)

    async def _redirect_to(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        raise web.HTTPFound(request.query["url"])

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        """An endless page, streamed without a length: the client must stop reading by itself."""
        self.hits[request.path] += 1
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"filler text " * 5000 + b"</p>\n"
        try:
            for _ in range(20000):  # ~1.2 GB at most; the client is expected to hang up far earlier
                await response.write(chunk)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    async def _slow(self, request: web.Request) -> web.Response:
        self.hits[request.path] += 1
        await asyncio.sleep(float(request.query.get("seconds", "5")))
        return web.Response(text="<html><body><p>Too late.</p></body></html>", content_type="text/html")


def _article_html(title: str, paragraphs: list[str], date: str, site: str, heading: str) -> str:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs[:2])
    if heading:
        body += f"\n<h2>{escape(heading)}</h2>"
    body += "\n" + "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs[2:])
    published = f'<meta property="article:published_time" content="{date}T09:00:00Z">' if date else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | {escape(site)}</title>
<meta property="og:site_name" content="{escape(site)}">
<meta property="og:title" content="{escape(title)}">
{published}
<script nonce="{{nonce}}">window.dataLayer = window.dataLayer || []; function track() {{}}</script>
<style>.banner {{ position: fixed; }}</style>
</head><body>
<div id="cookie-banner" class="cookie-consent banner">We use cookies to improve your experience on our site.
 <button>Accept all cookies</button> <a href="/privacy">Privacy policy</a></div>
<header><nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/energy">Energy</a></li>
<li><a href="/trade">Trade</a></li><li><a href="/about">About us</a></li></ul></nav></header>
<main><article>
<h1>{escape(title)}</h1>
{body}
</article>
<aside class="related"><h3>Related articles</h3><ul><li><a href="/a">Wind farms expand again</a></li>
<li><a href="/b">Fisheries talks stall</a></li></ul></aside>
<div class="newsletter">Subscribe to our newsletter for weekly updates! <form><input type="email"></form></div>
<div class="ad">Advertisement: cheap flights today only, offer {{nonce}}</div>
</main>
<footer><p>© 2026 {escape(site)}. All rights reserved.</p><p><a href="/terms">Terms of use</a></p></footer>
<script>track('pageview', {{nonce}})</script>
</body></html>"""
