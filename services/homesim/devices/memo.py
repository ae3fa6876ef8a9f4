"""A cache for the slow terms blocks share (the sun's ephemeris, the cloud chain), computed once
even when threads ask for them at the same time.

``functools.lru_cache`` does not hold a lock while it computes a missing value: the fast-forward
engine's two threads that compute blocks 0 and 1 of a run both missed and both computed the same
year of the sun's slow terms and the same cloud chain, on the run's critical path (the dispatch
waits for block 0). Measured on the reference home's year on a shared 2-core machine: the first
block ready 7-10 ms sooner, the solar chunks computed twice as often as needed before.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable


def shared_cache(maxsize: int) -> Callable[[Callable[..., Any]], Any]:
    """``functools.lru_cache(maxsize)`` whose calls hold one lock per function, so that a value
    missing from the cache is computed by one thread while the others wait for it. The result
    keeps ``cache_clear`` and ``cache_info``; the values are those of the function itself."""

    def decorate(function: Callable[..., Any]) -> Any:
        cached = functools.lru_cache(maxsize=maxsize)(function)
        lock = threading.Lock()

        @functools.wraps(function)
        def call(*args: Any) -> Any:
            with lock:
                return cached(*args)

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call

    return decorate
