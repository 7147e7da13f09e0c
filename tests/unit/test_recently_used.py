"""The bounded most-recently-used map behind the retrieval caches."""

from __future__ import annotations

from chains.retrieval.recent import RecentlyUsed


def test_the_least_recently_used_entries_go_first() -> None:
    cache: RecentlyUsed[str, int] = RecentlyUsed(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and "a" in cache and "c" in cache


def test_a_batch_larger_than_the_cache_is_returned_whole_then_trimmed() -> None:
    cache: RecentlyUsed[str, int] = RecentlyUsed(2)
    for key, value in {"x": 1, "y": 2, "z": 3}.items():
        cache.add(key, value)
    assert cache.take(["x", "y", "z", "missing"]) == {"x": 1, "y": 2, "z": 3}
    assert len(cache) == 2 and cache.missing(["x", "y", "z"]) == ["x"]
