"""Preparing documents in a separate process: parsing, chunking and embedding a large file is
CPU-bound Python, and in the bot's own process it would hold the GIL and stall its replies.

    with ingest_pool() as pool:
        prepared = pool.submit(prepare_in_worker, data, name, settings).result()
        index.ingest_bytes(data, name, prepared=prepared)
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from .embedding import Embedder, make_embedder
from .index import Prepared, prepare
from .settings import Settings, apply_process_environment

_embedder: Embedder | None = None


def ingest_pool() -> ProcessPoolExecutor:
    # spawn, not fork: the parent holds model weights, threads and open database handles.
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def core_settings(settings: Settings) -> Settings:
    """Only the core's fields travel to the worker (no bot token)."""
    return Settings.model_construct(**{name: getattr(settings, name) for name in Settings.model_fields})


def prepare_in_worker(data: bytes, filename: str, settings: Settings) -> Prepared:
    global _embedder
    if _embedder is None:
        apply_process_environment(settings)
        import torch

        torch.set_num_threads(1)  # leave a core for answering questions meanwhile
        _embedder = make_embedder(settings)
    return prepare(data, filename, settings, _embedder)
