"""`python -m bot`: the Telegram bot, or a terminal chat over the same core without a token.

    python -m bot                  # index what is new in DOCUMENTS_DIR, then serve
    python -m bot audit [--limit N]  # the latest admin actions, as JSON lines
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading

from retrieval.cli import run_chat
from retrieval.database import Database, url_password
from retrieval.errors import RetrievalError
from retrieval.index import IngestResult
from retrieval.loading import DocumentError
from retrieval.service import Services

from .logs import configure_logging
from .settings import BotSettings

log = logging.getLogger("bot")

NO_TOKEN = """\
No TELEGRAM_BOT_TOKEN is set, so here is the same assistant in your terminal.

To run it on Telegram:
  1. Open Telegram, talk to @BotFather and send /newbot; pick a name and a username.
  2. Copy the token it gives you into .env:  TELEGRAM_BOT_TOKEN=123456:ABC...
  3. Put your own numeric user id in ADMIN_USER_IDS (ask @userinfobot) to manage documents.
  4. Run `make run` again.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["audit"], help="audit: print the latest admin actions")
    parser.add_argument("--limit", type=int, default=100, help="audit: how many entries (newest last)")
    args = parser.parse_args(argv)
    # Indexing runs in worker threads; hand the GIL back to the event loop more often than
    # the default 5 ms so replies keep flowing while a document is embedded (see `make bench`).
    sys.setswitchinterval(0.001)
    settings = BotSettings()
    token = settings.telegram_bot_token.get_secret_value()
    configure_logging(settings.log_level, token, settings.openai_api_key.get_secret_value(),
                      settings.webhook_secret.get_secret_value(), url_password(settings.database_url))
    try:
        if args.command == "audit":
            return print_audit(settings, args.limit)
        services = Services(settings)
        sync_documents(services)
        # Load the model while the bot starts, so that the first question does not wait for it.
        threading.Thread(target=services.embedder, name="model-warm-up", daemon=True).start()
        if not settings.has_token:
            run_chat(services, banner=NO_TOKEN)
            return 0
        from .app import ALLOWED_UPDATES, build_app, webhook_options

        application = build_app(settings, services)
        # run_polling / run_webhook handle SIGINT/SIGTERM: they stop taking updates, let running
        # handlers finish and call post_shutdown.
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        return 0
    except RetrievalError as e:
        log.error("%s", e)
        return 2


def sync_documents(services: Services) -> None:
    """Index what is new or changed in DOCUMENTS_DIR before serving, so that a first start (an
    empty DATA_DIR, a new container) answers at once. Unchanged files cost a hash each; with
    several processes starting together, one indexes while the others wait and find it done."""
    directory = services.settings.documents_dir

    def report(path, result: IngestResult | DocumentError) -> None:
        if isinstance(result, DocumentError):
            log.warning("%s: skipped: %s", directory, result)
        elif result.status != "unchanged":
            log.info("%s: %s", directory, result.summary())

    try:
        services.index.sync(directory, report=report)
    except RetrievalError as e:  # a read-only or full DATA_DIR: serve the index as it is
        log.error("%s was not brought up to date: %s", directory, e)


def print_audit(settings: BotSettings, limit: int) -> int:
    from .state import BotState

    state = BotState(Database.open(settings), legacy_dir=settings.data_dir)
    for entry in state.audit_entries(limit):
        print(json.dumps(entry, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
