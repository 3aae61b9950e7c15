"""The one shape of every list that higher apps add to in `AppConfig.ready()`."""

from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """
    Entries kept in `order` (ties in the order added); an entry whose key is already there is
    ignored, so that `ready()` running twice (as in some test setups) adds nothing.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[int, Hashable, T]] = []

    def add(self, entry: T, *, key: Hashable, order: int = 50) -> None:
        if all(existing != key for _order, existing, _entry in self._entries):
            self._entries.append((order, key, entry))
            self._entries.sort(key=lambda item: item[0])

    def __iter__(self) -> Iterator[T]:
        return (entry for _order, _key, entry in self._entries)
