"""Small exception classes whose messages tell the user what to do next."""

from __future__ import annotations


class RetrievalError(Exception):
    """Base class: str(e) is safe and useful to show to a user."""


class ConfigurationError(RetrievalError):
    """A setting is wrong or something it points at is missing."""


class StoreError(RetrievalError):
    """The index could not be read or written (disk full, read-only, server down)."""


class UnknownDocumentError(RetrievalError):
    """A document id that is not in the index."""


class FetchError(RetrievalError):
    """A link that could not be fetched; nothing was changed. `reason` names the kind of failure
    ("scheme", "blocked", "dns", "connect", "timeout", "status", "redirects", "too-large", "type")."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
