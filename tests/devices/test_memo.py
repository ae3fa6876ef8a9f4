"""The caches blocks share compute a missing value once when threads ask for it together."""

from __future__ import annotations

import threading

import numpy as np

from homesim.devices import solar_geometry, weather
from homesim.devices.memo import shared_cache


def test_a_missing_value_is_computed_once_for_threads_asking_together() -> None:
    calls = []
    second = threading.Event()

    @shared_cache(maxsize=4)
    def slow(key: int) -> list[int]:
        calls.append(key)
        if len(calls) == 1:
            # the first caller waits for a second one to come in (as functools.lru_cache lets it);
            # under the lock the second waits for the first instead, and this times out
            second.wait(timeout=1.0)
        else:
            second.set()
        return [key]

    results = []
    threads = [threading.Thread(target=lambda: results.append(slow(7))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [7]
    assert results[0] is results[1]
    assert slow.cache_info().misses == 1
    slow.cache_clear()
    assert slow.cache_info().currsize == 0


def test_the_suns_chunks_and_the_cloud_chain_are_computed_once_by_two_threads() -> None:
    solar_geometry._chunk.cache_clear()
    weather._cloud_chain.cache_clear()
    got = []

    def both() -> None:
        got.append((solar_geometry._chunk(40, 67.0), weather._cloud_chain(3, 0.8, (0.3,) * 12, 0, 1)))

    threads = [threading.Thread(target=both) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert solar_geometry._chunk.cache_info().misses == 1
    assert weather._cloud_chain.cache_info().misses == 1
    (chunk_a, oktas_a), (chunk_b, oktas_b) = got
    assert chunk_a is chunk_b and oktas_a is oktas_b
    # the same numbers as the uncached functions
    for cached, fresh in zip(chunk_a, solar_geometry._chunk.__wrapped__(40, 67.0)):
        np.testing.assert_array_equal(cached, fresh)
    np.testing.assert_array_equal(oktas_a, weather._cloud_chain.__wrapped__(3, 0.8, (0.3,) * 12, 0, 1))
