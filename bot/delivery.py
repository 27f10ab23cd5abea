"""Getting every reply to Telegram exactly once, through flood limits and Telegram's bad moments.

PTB's `AIORateLimiter` keeps within Telegram's limits and waits out `429 retry_after`. This
adds retries, with backoff, of requests that Telegram never accepted: a 5xx or a refused or
dropped connection means nothing was delivered, so sending again cannot duplicate a message.
A timeout while connecting or sending is the same (nothing arrived); a timeout while waiting
for the reply is not: Telegram has the request and usually acts on it, so it is not resent,
since sending it again would duplicate the answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# getUpdates has its own retry loop in PTB's Updater; retrying it here would only delay shutdown.
_NOT_RETRIED = {"getUpdates", "close", "logOut"}
# Timeouts before the request was fully sent: Telegram cannot have acted on it.
_NOT_SENT = (httpx.ConnectTimeout, httpx.WriteTimeout, httpx.PoolTimeout)


class DeliveringRateLimiter(AIORateLimiter):
    def __init__(self, *, max_retries: int = 3, network_retry_seconds: float = 120.0) -> None:
        super().__init__(max_retries=max_retries)
        self.network_retry_seconds = network_retry_seconds

    async def process_request(self, callback, args: Any, kwargs: dict[str, Any], endpoint: str,
                              data: dict[str, Any], rate_limit_args: int | None):
        if endpoint in _NOT_RETRIED:
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        deadline = time.monotonic() + self.network_retry_seconds
        delay = 0.5
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except TimedOut as e:
                if not isinstance(e.__cause__, _NOT_SENT):
                    raise  # sent, reply awaited: probably delivered
                error = e
            except BadRequest:
                raise  # will never succeed as sent
            except NetworkError as e:
                error = e
            if time.monotonic() + delay > deadline:
                raise error
            log.warning("Telegram %s failed (%s); retrying in %.1f s", endpoint, error, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)
