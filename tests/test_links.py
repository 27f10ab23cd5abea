"""Documents added by link: fetching (with its address checks), extraction, indexing, the CLI.

Pages, PDFs, redirects and failures are served by a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys

import pytest

from retrieval.errors import FetchError
from retrieval.fetching import address_problem, fetch_document, normalise_link
from retrieval.index import version_id
from retrieval.loading import DocumentError, load_document
from retrieval.settings import Settings
from tests.conftest import ROOT, free_port
from tests.web_pages import BOILERPLATE_WORDS, PageServer

KELP = [
    "The Kelp Forest Restoration Compact commits three coastal provinces to replant 12,000 hectares "
    "of kelp along the Tasmanian coast by 2031.",
    "Each province contributes divers, boats and a share of the nursery costs, and progress is reported every autumn.",
    "The compact's secretariat sits in Hobart and manages a fund of 310 million dollars for the kelp nurseries.",
    "Marine scientists caution that warming currents may undo much of the replanting unless cooler strains are used.",
]
SOLAR_PDF = "The Desert Solar Corridor Agreement schedules its first review in Ouarzazate in May 2027."


@pytest.fixture(scope="module")
def site():
    server = PageServer().start()
    yield server
    server.stop()


def settings(**overrides) -> Settings:
    values = {"url_allow_private_addresses": True, "url_timeout_seconds": 5.0, **overrides}
    return Settings(_env_file=None, **values)


def fetch(url: str, resolver=None, **overrides):
    return asyncio.run(fetch_document(url, settings(**overrides), resolver=resolver))


def fetch_error(url: str, resolver=None, **overrides) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(url, resolver, **overrides)
    return caught.value


@pytest.mark.parametrize("address, problem, allowed_with_setting", [
    ("8.8.8.8", None, True),
    ("2606:4700::1111", None, True),
    ("127.0.0.1", "loopback", True),
    ("::1", "loopback", True),
    ("10.1.2.3", "private", True),
    ("172.16.0.9", "private", True),
    ("192.168.1.1", "private", True),
    ("100.64.0.1", "private", True),  # shared address space (carrier-grade NAT)
    ("fc00::5", "private", True),
    ("169.254.169.254", "link-local", True),  # cloud metadata endpoints live here
    ("fe80::1", "link-local", True),
    ("::ffff:127.0.0.1", "loopback", True),  # IPv4-mapped
    ("2002:7f00:1::1", "loopback", True),  # 6to4 around 127.0.0.1
    ("64:ff9b::a00:1", "private", True),  # NAT64 around 10.0.0.1
    ("0.0.0.0", "unspecified", False),  # reaches this very host on Linux
    ("::", "unspecified", False),
    ("224.0.0.1", "multicast", False),
    ("ff02::1", "multicast", False),
    ("240.0.0.1", "reserved", False),
    ("255.255.255.255", "reserved", False),
])
def test_address_policy(address, problem, allowed_with_setting):
    assert address_problem(address, allow_private=False) == problem
    assert (address_problem(address, allow_private=True) is None) == allowed_with_setting


@pytest.mark.parametrize("url, expected", [
    ("https://Example.ORG/Report?id=3#part-2", "https://example.org/Report?id=3"),
    ("  <http://example.org/a b>  ", "http://example.org/a%20b"),
    ("ftp://example.org/file.pdf", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("https://user:secret@example.org/", "user name or password"),
    ("https:///nohost", "no host"),
    ("not a link", "only http and https"),
])
def test_links_are_normalised_or_refused(url, expected):
    if expected.startswith("http"):
        assert normalise_link(url) == expected
    else:
        with pytest.raises(FetchError, match=expected) as caught:
            normalise_link(url)
        assert caught.value.reason == "scheme" and "secret" not in str(caught.value)


def test_a_page_is_reduced_to_its_article_with_verbatim_offsets(site):
    url = site.article("kelp", "Kelp Forest Restoration Compact", KELP, date="2026-04-02", heading="Funding")
    first, second = fetch(url), fetch(url)
    assert first.data != second.data  # the advert's nonce changed...
    doc = load_document(first.data, first.url)
    assert version_id(first.data, url) == version_id(second.data, url)  # ...the document did not
    assert doc.source == doc.source_url == url
    assert (doc.title, doc.date, doc.publisher) == ("Kelp Forest Restoration Compact", "2026-04-02",
                                                    "Ocean Policy Review")
    for paragraph in KELP:
        assert paragraph in doc.text
    for word in BOILERPLATE_WORDS + ("track(", "Accept all"):
        assert word not in doc.text, word
    assert doc.blocks[0].kind == "paragraph" and doc.text.startswith(KELP[0])  # the headline is the title
    assert any(b.kind == "heading" and b.text == "Funding" for b in doc.blocks)
    for block in doc.blocks:
        assert doc.text[block.start:block.end] == block.text


def test_pdfs_by_link_use_the_pdf_loader(site):
    for path, content_type in (("solar.pdf", "application/pdf"), ("download", "application/octet-stream")):
        fetched = fetch(site.pdf(path, SOLAR_PDF, content_type))
        doc = load_document(fetched.data, fetched.url)
        assert doc.text == SOLAR_PDF and doc.source_url == fetched.url


def test_redirects_are_followed_within_the_limit_and_each_hop_is_checked(site):
    site.article("kelp", "Kelp Forest Restoration Compact", KELP)
    fetched = fetch(site.url("/redirect/3?to=/kelp"))
    assert fetched.final_url == site.url("/kelp") and fetched.url == site.url("/redirect/3?to=/kelp")
    assert fetch_error(site.url("/redirect/6?to=/kelp")).reason == "redirects"  # 6 hops > URL_MAX_REDIRECTS=5
    assert fetch_error(site.url("/redirect/1?to=/kelp"), url_max_redirects=0).reason == "redirects"
    # A hop to an address no document is fetched from, even with private addresses allowed
    # (0.0.0.0 reaches this very host on Linux): refused before it is requested.
    hits = site.hits["/kelp"]
    blocked = fetch_error(site.url(f"/redirect-to?url=http://0.0.0.0:{site.port}/kelp"))
    assert blocked.reason == "blocked" and "0.0.0.0 is an unspecified address" in str(blocked)
    assert site.hits["/kelp"] == hits
    assert fetch_error(site.url("/redirect-to?url=ftp://example.org/x")).reason == "scheme"


@pytest.mark.parametrize("path, reason, words", [
    ("/huge", "too-large", "larger than 1 MB"),  # streamed without a length: stopped at the limit
    ("/declared-huge", "too-large", "larger than 1 MB"),  # refused from its Content-Length
    ("/missing", "status", "404 Not Found"),
    ("/photo.png", "type", "not a document (the server sent image/png)"),
    ("/fake.pdf", "type", "said PDF but sent something else"),
    ("/blob", "type", "neither a web page nor a PDF"),
    ("/slow?seconds=3", "timeout", "within 0.5 s"),
])
def test_failed_fetches_say_why(site, path, reason, words):
    site.raw("declared-huge", "text/html", b"<p>" + b"x" * (2 * 1024 * 1024) + b"</p>")
    site.raw("photo.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    site.raw("fake.pdf", "application/pdf", b"<html><body>Please sign in</body></html>")
    site.raw("blob", "application/octet-stream", bytes(range(256)) * 40)
    error = fetch_error(site.url(path), url_max_mb=1, url_timeout_seconds=0.5)
    assert error.reason == reason and words in str(error), str(error)


def test_private_addresses_are_refused_by_default_before_any_request(site):
    url = site.article("kelp", "Kelp Forest Restoration Compact", KELP)
    hits = site.hits["/kelp"]
    for link in (url, site.url("/kelp", host="localhost")):
        error = fetch_error(link, url_allow_private_addresses=False)
        assert error.reason == "blocked" and "loopback" in str(error) and "URL_ALLOW_PRIVATE_ADDRESSES" in str(error)
    assert site.hits["/kelp"] == hits  # refused after resolving, before connecting


def test_every_resolved_address_is_checked_and_the_connection_uses_a_checked_one(site):
    site.article("kelp", "Kelp Forest Restoration Compact", KELP)

    async def mixed(host, port):
        return ["8.8.8.8", "10.0.0.7"]  # one public, one private: refused as a whole

    error = fetch_error(f"http://docs.test:{site.port}/kelp", resolver=mixed, url_allow_private_addresses=False)
    assert error.reason == "blocked" and "docs.test (10.0.0.7)" in str(error)

    calls = []

    async def once(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    # docs.test exists only in this resolver: the page arriving proves the connection went to the
    # address that was resolved and checked, not to a second lookup of the name.
    fetched = fetch(f"http://docs.test:{site.port}/kelp", resolver=once)
    assert b"Kelp Forest Restoration Compact" in fetched.data and calls == ["docs.test"]


def test_unreachable_hosts_say_why():
    async def nxdomain(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    error = fetch_error("https://no-such-host.example/report", resolver=nxdomain)
    assert error.reason == "dns" and "no-such-host.example: the name could not be resolved" in str(error)
    refused = fetch_error(f"http://127.0.0.1:{free_port()}/report")  # nothing listens there
    assert refused.reason == "connect" and "could not connect" in str(refused)


def test_index_by_link_replaces_only_when_the_text_changes(make_services, site):
    services = make_services(url_allow_private_addresses=True)
    url = site.article("kelp-index", "Kelp Forest Restoration Compact", KELP, date="2026-04-02")

    def add():
        fetched = fetch(url)
        return services.index.ingest_bytes(fetched.data, fetched.url, origin="link")

    first = add()
    assert first.status == "new" and first.record.source == first.record.source_url == url
    assert first.record.stored_file.endswith(".html")
    assert add().status == "unchanged"  # new nonce, same article
    answer = services.answer("Where is the secretariat that manages the fund for the kelp nurseries?")
    assert "Hobart" in answer.answer and answer.citations[0].source == url

    site.article("kelp-index", "Kelp Forest Restoration Compact",
                 [KELP[0], KELP[1], KELP[2].replace("Hobart", "Launceston"), KELP[3]], date="2026-05-10")
    newer = add()
    assert newer.status == "replaced" and newer.record.date == "2026-05-10"
    assert [d.source for d in services.index.documents()] == [url]
    assert "Launceston" in services.answer("Where is the secretariat that manages the fund for the kelp nurseries?").answer

    services.index.reindex()  # from the stored copy, read as the web page it was
    assert [(d.doc_id, d.title) for d in services.index.documents()] == [(newer.record.doc_id, newer.record.title)]

    empty = site.raw("scripts-only", "text/html", b"<html><head><title>App</title><script>boot()</script></head>"
                                                  b"<body><nav><a href='/'>Home</a></nav><div id='app'></div></body></html>")
    fetched = fetch(empty)
    with pytest.raises(DocumentError, match="no article text"):
        services.index.ingest_bytes(fetched.data, fetched.url)
    assert len(services.index.documents()) == 1


def test_cli_ingests_links_and_paths_together(site, tmp_path, capsys):
    url = site.article("kelp-cli", "Kelp Forest Restoration Compact", KELP, date="2026-04-02")
    pdf = site.pdf("solar-cli.pdf", SOLAR_PDF)
    note = tmp_path / "note.txt"
    note.write_text("Harbour Note\n\nThe Harbour Note moves the pilot station to Esbjerg.")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "LOG_LEVEL": "WARNING",
           "URL_ALLOW_PRIVATE_ADDRESSES": "true", "MULTILINGUAL_MODEL": ""}
    ingest = subprocess.run(
        [sys.executable, "-m", "retrieval", "ingest", "--data-dir", str(tmp_path / "var"),
         url, str(note), pdf, site.url("/missing"), "ftp://example.org/x"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=180)
    assert ingest.returncode == 1  # two links failed; the rest were added
    assert ingest.stdout.count("new ") == 3 and url in ingest.stdout
    assert "404 Not Found" in ingest.stderr and "only http and https" in ingest.stderr

    # Listing and asking in this process (same code as the command line, without a second start-up).
    from retrieval.cli import main

    cli_settings = Settings(_env_file=None, multilingual_model="")
    capsys.readouterr()
    assert main(["docs", "--json", "--data-dir", str(tmp_path / "var")], cli_settings) == 0
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_source = {d["source"]: d for d in docs}
    assert by_source[url]["source_url"] == url and by_source[pdf]["source_url"] == pdf
    assert by_source[url]["title"] == "Kelp Forest Restoration Compact" and "note.txt" in by_source

    for question, expected, source in (
        ("Where is the secretariat that manages the fund for the kelp nurseries?", "Hobart", url),
        ("Where is the first review of the Desert Solar Corridor Agreement?", "Ouarzazate", pdf),
    ):
        assert main(["ask", "--json", "--data-dir", str(tmp_path / "var"), question], cli_settings) == 0
        answer = json.loads(capsys.readouterr().out)
        assert expected in answer["answer"] and answer["citations"][0]["source"] == source


def test_every_setting_is_listed_in_env_example():
    import re

    from bot.settings import BotSettings

    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert {name.upper() for name in BotSettings.model_fields} <= listed
