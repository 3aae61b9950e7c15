"""
`python -m bench [NAME ...] [--option value ...]`: run the benchmarks in this package and print
one JSON document. Options after the names go to the one benchmark named
(`python -m bench exam_rush --students 200`).

A benchmark is a module `bench/<name>.py` with `run() -> dict` (and `run(argv)` if it takes
options); it measures what it names against a bare baseline taken in the same run (these
machines are noisy) and returns figures.
"""

import importlib
import itertools
import json
import pkgutil
import sys
import time
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        info.name for info in pkgutil.iter_modules([str(here)]) if not info.name.startswith("_")
    )


def main(argv: list[str]) -> int:
    names = list(itertools.takewhile(lambda arg: not arg.startswith("-"), argv))
    options = argv[len(names) :]
    if options and len(names) != 1:
        print("options need exactly one benchmark name before them", file=sys.stderr)
        return 2
    names = names or discover()
    unknown = sorted(set(names) - set(discover()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    results = {}
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        results[name] = module.run(options) if options else module.run()
        results[name]["wall_seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps({"benchmarks": results}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
