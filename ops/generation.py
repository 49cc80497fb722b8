"""In-process copies of database data, rebuilt when the data generation number changes.

The number lives in the ``ops_data_generation`` table, which PostgreSQL
triggers bump on every write to the tables the search reads (see
``ops/migrations/0002_data_generation.py``). Reading it costs one indexed
single-row query, far less than the queries a copy replaces.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

from django.db import connection

logger = logging.getLogger(__name__)

T = TypeVar("T")


#: Inside :func:`generation_snapshot`: a list, empty until the first read stores the number in it.
_snapshot: ContextVar[list[int] | None] = ContextVar("generation_snapshot", default=None)


def current_generation() -> int:
    """Return the data generation number as seen by this connection's transaction.

    Inside :func:`generation_snapshot` only the first call reads it; later
    calls return the same number.
    """
    snapshot = _snapshot.get()
    if snapshot:
        return snapshot[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM ops_data_generation WHERE id = 1")
        generation = cursor.fetchone()[0]
    if snapshot is not None:
        snapshot.append(generation)
    return generation


@contextmanager
def generation_snapshot() -> Iterator[None]:
    """Read the data generation once for the whole block.

    A family search looks up four in-memory copies; without this it would
    read the number four to six times. Use it only around code that does not
    write the data it reads from those copies: a write inside the block would
    not be seen by a copy looked up after it.
    """
    token = _snapshot.set([])
    try:
        yield
    finally:
        _snapshot.reset(token)


class GenerationCache(Generic[T]):
    """One value built from the database, rebuilt when the data generation changes.

    ``get()`` checks the generation on every call, so a process never serves a
    copy older than the data its own transaction can see. Builds are
    serialised per cache, so concurrent threads do not build the same copy twice.
    """

    def __init__(self, name: str, build: Callable[[], T]) -> None:
        self.name = name
        self._build = build
        self._lock = threading.Lock()
        self._generation: int | None = None
        self._value: T | None = None

    def get(self) -> T:
        generation = current_generation()
        if generation == self._generation:
            return self._value
        with self._lock:
            if generation != self._generation:
                self._value = self._build()
                self._generation = generation
                logger.info("Rebuilt the in-memory %s at data generation %d", self.name, generation)
            return self._value
