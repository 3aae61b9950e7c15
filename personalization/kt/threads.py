"""How many threads torch uses: set by whoever runs the process, applied when torch loads."""

import sys

_threads: int | None = None
_applied: int | None = None


def configure(n: int) -> None:
    global _threads
    _threads = max(1, int(n))
    if "torch" in sys.modules:
        apply(sys.modules["torch"])


def apply(torch) -> None:
    """Set torch's thread count if one was configured and not yet applied (cheap to repeat)."""
    global _applied
    if _threads is not None and _applied != _threads:
        torch.set_num_threads(_threads)
        _applied = _threads
