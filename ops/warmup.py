"""Build what every family search reads before a web process serves its first request.

Searches build these on first use: the search catalogue, the districts, the
eligibility rules, the ranker and the road graphs with their chain
contractions and city-to-MTC joins, about 5 s in all on the load
benchmark's 2-core machine. gunicorn calls
:func:`warm_up` in its master process before forking the workers
(``deployment/gunicorn.conf.py``), so the workers share these pages and
their first searches are as fast as the others. It then freezes the objects
out of the garbage collector: a full collection over them took 271 ms and
stalled every search queued behind it.
"""
from __future__ import annotations

import gc
import logging
import time

from django.db import connections

logger = logging.getLogger(__name__)


def warm_up() -> None:
    """Build the in-memory data of the search, then close the database connections.

    A step that fails (the database is down, say) is logged and left to the
    first search that needs it.
    """
    from geoservices.places import districts_by_ubigeo
    from matcher.catalogue import search_catalogue
    from matcher.ranking import get_ranker
    from matcher.services import active_rules
    from routing.services import prepare_graphs

    steps = (
        ("search catalogue", search_catalogue),
        ("districts", districts_by_ubigeo),
        ("eligibility rules", active_rules),
        ("ranker", get_ranker),
        ("road graphs", prepare_graphs),
    )
    started = time.perf_counter()
    for name, step in steps:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - any failure only delays the build to the first search
            logger.warning("Warm-up of the %s failed, so the first search will build it: %s", name, exc)
    # Connections must not cross a fork: each worker opens its own.
    connections.close_all()
    logger.info("Warm-up done in %.1f s", time.perf_counter() - started)


def freeze_for_workers() -> None:
    """Move every object alive now out of the garbage collector's reach (``gc.freeze``)."""
    gc.collect()
    gc.freeze()
