"""Caches a running node keeps for the life of its process.

A node serving on its own database engine lends its units of work one
:class:`NodeCaches` (``session.info[NODE_CACHES]``, govdata.web.runtime). An area
that wants a cache asks :func:`node_cache` for it by name; outside a running node
(tests on a shared connection, scripts, the CLI) there is none and the area reads
the database as usual. What a cache may keep, and for how long, is each area's
own documented decision.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar, cast

from sqlalchemy.orm import Session

NODE_CACHES = "govdata.node_caches"
T = TypeVar("T")


class NodeCaches:
    """The named caches of one node process, made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caches: dict[str, object] = {}

    def get(self, name: str, make: Callable[[], T]) -> T:
        with self._lock:
            found = self._caches.get(name)
            if found is None:
                found = make()
                self._caches[name] = found
        return cast("T", found)


def node_cache(session: Session, name: str, make: Callable[[], T]) -> T | None:
    """The node's cache called ``name`` (made by ``make`` on first use), or None
    when the session was not lent the node's caches."""
    caches = session.info.get(NODE_CACHES)
    if not isinstance(caches, NodeCaches):
        return None
    return caches.get(name, make)
