"""A bounded map that keeps the most recently used entries: the chunk, candidate, vector and ranking caches of
the keyword index and the knowledge base. Not thread-safe: each owner holds its own lock around it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class RecentlyUsed(Generic[K, V]):
    """At most ``size`` entries; reading or writing an entry makes it the most recent, and the least recent go
    first when there are too many."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def missing(self, keys: Iterable[K]) -> list[K]:
        """The keys not held, in order, each once."""
        return [key for key in dict.fromkeys(keys) if key not in self._entries]

    def add(self, key: K, value: V) -> None:
        """Hold ``value`` until the next ``take`` or ``put`` trims (a batch may briefly exceed the size)."""
        self._entries[key] = value
        self._entries.move_to_end(key)

    def put(self, key: K, value: V) -> None:
        self.add(key, value)
        self._trim()

    def get(self, key: K) -> V | None:
        if key not in self._entries:
            return None
        self._entries.move_to_end(key)
        return self._entries[key]

    def take(self, keys: Iterable[K]) -> dict[K, V]:
        """The held entries of ``keys`` (each marked used), then the cache trimmed to its size."""
        found = {}
        for key in dict.fromkeys(keys):
            if key in self._entries:
                self._entries.move_to_end(key)
                found[key] = self._entries[key]
        self._trim()
        return found

    def clear(self) -> None:
        self._entries.clear()

    def _trim(self) -> None:
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
