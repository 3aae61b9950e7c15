"""Directed prerequisite graphs (knowledge points, lessons) that must stay acyclic."""

from collections import deque
from collections.abc import Iterable


def path_between(edges: Iterable[tuple[int, int]], *, start: int, goal: int) -> list[int] | None:
    """
    The shortest path `start → … → goal` following `edges` (pairs `(from, to)`), or None.

    Adding the edge `goal → start` would close a cycle exactly when such a path exists.
    """
    following: dict[int, list[int]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    came_from: dict[int, int | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (node := came_from[node]) is not None:
                path.append(node)
            return path[::-1]
        for nxt in following.get(node, ()):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return None
