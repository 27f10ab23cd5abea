"""Logging that never shows a secret: tokens are scrubbed from every record we emit."""

from __future__ import annotations

import logging

from retrieval.cli import quiet_third_party_loggers
from retrieval.hygiene import redact_secrets


class RedactSecrets(logging.Filter):
    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "[redacted]")
        record.msg, record.args = redact_secrets(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are rendered later by the formatter; render now so they can be scrubbed.
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self.secrets:
                text = text.replace(secret, "[redacted]")
            record.exc_text, record.exc_info = redact_secrets(text), None
        return True


def configure_logging(level: str, *secrets: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_third_party_loggers()
