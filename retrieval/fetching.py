"""Fetching a document by link, without becoming a way into the network the bot runs in.

    fetched = await fetch_document("https://example.org/report", settings)
    index.ingest_bytes(fetched.data, fetched.url)

Only http and https. Every hop (the link and each redirect) is checked the same way: the host
name is resolved, every address it resolves to must be public (unless
URL_ALLOW_PRIVATE_ADDRESSES), and the connection is then made to one of those checked
addresses, never by resolving the name again, so a name that answers differently a second time
(DNS rebinding) cannot slip through. TLS still verifies the certificate against the host name.
The body is streamed and abandoned at URL_MAX_MB; URL_TIMEOUT_SECONDS bounds the whole fetch.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpcore
import httpx

from .errors import FetchError
from .loading import looks_like_pdf
from .settings import Settings

Resolver = Callable[[str, int], Awaitable[list[str]]]

USER_AGENT = "PolicyResearchBot/0.1 (fetches one document an administrator asked for)"
# What can become a document; anything else is refused before its body is read.
DOCUMENT_TYPES = {"text/html", "application/xhtml+xml", "application/pdf", "text/plain", "text/markdown"}
# Servers that don't say what they send: accepted only if the bytes show a PDF or a web page.
UNDECLARED_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/x-download"}
_NEVER = {"unspecified", "multicast", "reserved"}  # no web server lives there, allowed or not
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class Fetched:
    url: str  # the link as asked for (normalised): the document's source
    final_url: str  # where the redirects ended
    content_type: str
    data: bytes


def normalise_link(url: str) -> str:
    """The link as it will be stored and compared: scheme and host lower-cased, no fragment.

    Raises FetchError for anything that is not a plain http(s) link."""
    text = (url or "").strip().strip("<>")
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as e:
        raise FetchError(f"{text[:200]}: this is not a valid link ({e}).", "scheme") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"{text[:200]}: only http and https links can be added.", "scheme")
    if not parsed.host:
        raise FetchError(f"{text[:200]}: the link has no host name.", "scheme")
    if parsed.userinfo:
        # It would be stored, listed and cited: a password has no place there.
        raise FetchError(f"{parsed.host}: links with a user name or password are not accepted.", "scheme")
    return str(parsed.copy_with(fragment=None))


def address_problem(address: str, allow_private: bool) -> str | None:
    """Why a connection to this address is refused ("loopback", "private", ...), or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(str(embedded), allow_private)
    if ip.is_unspecified:
        kind = "unspecified"
    elif ip.is_multicast:
        kind = "multicast"
    elif ip.is_loopback:
        kind = "loopback"
    elif ip.is_link_local:
        kind = "link-local"
    elif ip.is_reserved:
        kind = "reserved"
    elif ip.is_global:
        return None
    else:
        kind = "private"  # RFC 1918, unique local, shared (CGNAT), documentation, benchmarking
    if allow_private and kind not in _NEVER:
        return None
    return kind


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, and connects to a checked one."""

    def __init__(self, allow_private: bool, resolver: Resolver) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private
        self._resolve = resolver

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = await self._resolve(host, port)
        except (socket.gaierror, UnicodeError) as e:
            raise FetchError(f"{host}: the name could not be resolved ({_reason(e)}).", "dns") from None
        if not addresses:
            raise FetchError(f"{host}: the name could not be resolved (no addresses).", "dns")
        for address in addresses:
            problem = address_problem(address, self._allow_private)
            if problem:
                shown = host if host == address else f"{host} ({address})"
                if problem in _NEVER:
                    raise FetchError(f"{shown} is {_article(problem)} {problem} address; no document is fetched "
                                     "from there.", "blocked")
                raise FetchError(f"{shown} is {_article(problem)} {problem} address; links into private networks "
                                 "are refused (URL_ALLOW_PRIVATE_ADDRESSES=true allows them).", "blocked")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        raise error

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise FetchError("links to local sockets are refused.", "blocked")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: _CheckedBackend) -> None:
        super().__init__()
        # httpx has no public way to choose the network backend; its pool takes one.
        self._pool = httpcore.AsyncConnectionPool(ssl_context=httpx.create_ssl_context(),
                                                  network_backend=backend, max_connections=4)


async def fetch_document(url: str, settings: Settings, *, resolver: Resolver | None = None) -> Fetched:
    """The bytes of one web page or PDF, or FetchError saying why not (nothing else happens)."""
    link = normalise_link(url)
    limit = int(settings.url_max_mb * 1024 * 1024)
    seconds = settings.url_timeout_seconds
    backend = _CheckedBackend(settings.url_allow_private_addresses, resolver or system_resolver)
    try:
        async with asyncio.timeout(seconds):
            # trust_env=False: a proxy from the environment would make the connections (and the checks moot).
            async with httpx.AsyncClient(transport=_CheckedTransport(backend), trust_env=False,
                                         follow_redirects=False, timeout=httpx.Timeout(seconds),
                                         headers=_HEADERS) as client:
                return await _follow(client, link, settings.url_max_redirects, limit)
    except (TimeoutError, httpx.TimeoutException):
        raise FetchError(f"{link}: no complete answer within {seconds:g} s (URL_TIMEOUT_SECONDS).", "timeout") from None
    except httpx.ConnectError as e:
        raise FetchError(f"{link}: could not connect ({_reason(e)}).", "connect") from None
    except httpx.HTTPError as e:
        raise FetchError(f"{link}: the server's answer could not be read ({_reason(e)}).", "connect") from None


_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.1",
    # Not br or zstd: their expansion ratios are unbounded, and the size limit counts decoded bytes.
    "Accept-Encoding": "gzip, deflate",
}


async def _follow(client: httpx.AsyncClient, link: str, max_redirects: int, limit: int) -> Fetched:
    current = link
    for _ in range(max_redirects + 1):
        async with client.stream("GET", current) as response:
            if response.has_redirect_location:
                # Each hop is a new link: scheme checked here, address checked when connecting.
                try:
                    current = str(response.url.join(response.headers["location"]))
                except (httpx.InvalidURL, ValueError):
                    raise FetchError(f"{link}: the server redirected to an invalid link.", "redirects") from None
                current = normalise_link(current)
                continue
            if response.status_code != 200:
                phrase = f" {response.reason_phrase}" if response.reason_phrase else ""
                raise FetchError(f"{link}: the server answered {response.status_code}{phrase}.", "status")
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in DOCUMENT_TYPES | UNDECLARED_TYPES:
                raise FetchError(f"{link}: not a document (the server sent {content_type[:80]}); "
                                 "I add web pages, PDFs and plain text.", "type")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(link, limit)
            data = await _read(response, link, limit)
            _check_content(link, content_type, data)
            return Fetched(link, str(response.url), content_type, data)
    raise FetchError(f"{link}: more than {max_redirects} redirects (URL_MAX_REDIRECTS).", "redirects")


async def _read(response: httpx.Response, link: str, limit: int) -> bytes:
    """The (decompressed) body, abandoned as soon as it passes the limit."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise _too_large(link, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _check_content(link: str, content_type: str, data: bytes) -> None:
    pdf = looks_like_pdf(data)
    if content_type == "application/pdf" and not pdf:
        raise FetchError(f"{link}: not a document (the server said PDF but sent something else).", "type")
    if content_type in UNDECLARED_TYPES and not pdf and not _looks_like_markup(data):
        raise FetchError(f"{link}: not a document (the server did not say what it sent, and it is "
                         "neither a web page nor a PDF).", "type")


def _looks_like_markup(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head


def _too_large(link: str, limit: int) -> FetchError:
    return FetchError(f"{link}: larger than {limit / 1048576:g} MB (URL_MAX_MB); not added.", "too-large")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _reason(e: BaseException) -> str:
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return text[:200]
