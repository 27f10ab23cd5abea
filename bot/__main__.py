"""`python -m bot`: the Telegram bot, or a terminal chat over the same core without a token."""

from __future__ import annotations

import logging
import sys

from retrieval.cli import run_chat
from retrieval.errors import RetrievalError
from retrieval.service import Services

from .logs import configure_logging
from .settings import BotSettings

NO_TOKEN = """\
No TELEGRAM_BOT_TOKEN is set, so here is the same assistant in your terminal.

To run it on Telegram:
  1. Open Telegram, talk to @BotFather and send /newbot; pick a name and a username.
  2. Copy the token it gives you into .env:  TELEGRAM_BOT_TOKEN=123456:ABC...
  3. Put your own numeric user id in ADMIN_USER_IDS (ask @userinfobot) to manage documents.
  4. Run `make run` again.
"""


def main() -> int:
    # Indexing runs in worker threads; hand the GIL back to the event loop more often than
    # the default 5 ms so replies keep flowing while a document is embedded (see `make bench`).
    sys.setswitchinterval(0.001)
    settings = BotSettings()
    token = settings.telegram_bot_token.get_secret_value()
    configure_logging(settings.log_level, token, settings.openai_api_key.get_secret_value(),
                      settings.webhook_secret.get_secret_value())
    try:
        services = Services(settings)
        if not settings.has_token:
            run_chat(services, banner=NO_TOKEN)
            return 0
        from .app import ALLOWED_UPDATES, build_app, webhook_options

        application = build_app(settings, services)
        # run_polling / run_webhook handle SIGINT/SIGTERM: they stop taking updates, let running
        # handlers finish and call post_shutdown, which closes the state database.
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        return 0
    except RetrievalError as e:
        logging.getLogger("bot").error("%s", e)
        return 2


if __name__ == "__main__":
    sys.exit(main())
