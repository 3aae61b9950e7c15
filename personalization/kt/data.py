"""Response histories, the CSV exchange format and the splits used by the protocol."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

COLUMNS = ("user_id", "item_id", "skill_ids", "correct", "timestamp")
SKILL_SEPARATOR = "_"


class DataError(ValueError):
    """Input that cannot be read as learner-response data; the message says what is wrong."""


class History:
    """
    One learner's responses in time order: question ids, the knowledge points of each question,
    correctness (0/1) and timestamps (seconds, or any increasing number; 1, 2, 3… when omitted).
    """

    __slots__ = ("correct", "items", "skills", "timestamps")

    def __init__(
        self,
        items: Sequence[str],
        skills: Sequence[Sequence[str] | str],
        correct: Sequence[int],
        timestamps: Sequence[float] | None = None,
    ):
        n = len(items)
        if len(skills) != n or len(correct) != n:
            raise DataError(
                f"items, skills and correct differ in length ({n}, {len(skills)}, {len(correct)})"
            )
        if timestamps is None:
            timestamps = range(1, n + 1)
        elif len(timestamps) != n:
            raise DataError(f"timestamps has {len(timestamps)} values for {n} responses")
        self.items = [str(item) for item in items]
        self.skills = [_skill_list(s) for s in skills]
        self.correct = [_correct_value(c) for c in correct]
        self.timestamps = [float(t) for t in timestamps]

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"History({len(self)} responses)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return (
            self.items == other.items
            and self.skills == other.skills
            and self.correct == other.correct
            and self.timestamps == other.timestamps
        )

    def slice(self, start: int, stop: int | None = None) -> History:
        stop = len(self) if stop is None else stop
        out = History.__new__(History)
        out.items = self.items[start:stop]
        out.skills = self.skills[start:stop]
        out.correct = self.correct[start:stop]
        out.timestamps = self.timestamps[start:stop]
        return out

    def windows(self, size: int) -> list[History]:
        """Non-overlapping windows of at most ``size`` responses, each an independent sequence."""
        if len(self) <= size:
            return [self]
        return [self.slice(start, start + size) for start in range(0, len(self), size)]


def _skill_list(skills: Sequence[str] | str) -> list[str]:
    if isinstance(skills, str):  # one knowledge point given bare
        return [skills] if skills else []
    return [str(s) for s in skills]


def _correct_value(value) -> int:
    if value in (0, 1):  # also True/False and 0.0/1.0
        return int(value)
    raise DataError(f"correct must be 0 or 1, got {value!r}")


@dataclass
class Dataset:
    """Histories of several learners: ``sequences[i]`` belongs to learner ``users[i]``."""

    sequences: list[History]
    users: list[str]

    def __post_init__(self):
        if len(self.sequences) != len(self.users):
            raise DataError("a dataset needs one user id per sequence")

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def n_responses(self) -> int:
        return sum(len(s) for s in self.sequences)

    def subset(self, users: Iterable[str]) -> Dataset:
        wanted = set(users)
        pairs = [(s, u) for s, u in zip(self.sequences, self.users, strict=True) if u in wanted]
        return Dataset([s for s, _ in pairs], [u for _, u in pairs])

    def without(self, users: Iterable[str]) -> Dataset:
        unwanted = set(users)
        return self.subset(u for u in self.users if u not in unwanted)

    def min_length(self, n: int) -> Dataset:
        """The learners with at least ``n`` responses."""
        return self.subset(
            u for s, u in zip(self.sequences, self.users, strict=True) if len(s) >= n
        )


def read_csv(path: str | Path) -> Dataset:
    """
    Read the exchange format (``user_id,item_id,skill_ids,correct,timestamp``, skill ids
    ``_``-separated). Rows of one learner are sorted stably by timestamp; rows with the same
    (learner, item, timestamp) are one response whose skills are merged (multi-skill questions
    expanded into one row per skill). Raises DataError with a readable message on bad input.
    """
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot open ({exc.strerror or exc})") from None
    per_user: dict[str, list[tuple[float, int, str, str, int]]] = {}
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a readable CSV file ({exc})") from None
        if header is None:
            raise DataError(f"{path}: the file is empty")
        header = [h.strip() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(missing)}; "
                f"expected a header with {','.join(COLUMNS)}"
            )
        iu, ii, isk, ic, it = (header.index(c) for c in COLUMNS)
        width = max(iu, ii, isk, ic, it) + 1
        try:
            for n, row in enumerate(reader):
                line = n + 2
                if not row:
                    continue
                if len(row) < width:
                    raise DataError(f"{path}, line {line}: expected {len(header)} fields")
                correct = row[ic].strip()
                if correct not in ("0", "1"):
                    raise DataError(f"{path}, line {line}: correct must be 0 or 1, got {correct!r}")
                try:
                    ts = float(row[it])
                except ValueError:
                    raise DataError(
                        f"{path}, line {line}: timestamp must be a number, got {row[it]!r}"
                    ) from None
                if not math.isfinite(ts):
                    raise DataError(f"{path}, line {line}: timestamp must be finite")
                user, item = row[iu].strip(), row[ii].strip()
                if not user or not item:
                    raise DataError(f"{path}, line {line}: user_id and item_id must not be empty")
                per_user.setdefault(user, []).append((ts, n, item, row[isk].strip(), int(correct)))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    if not per_user:
        raise DataError(f"{path}: no responses (only a header)")
    users = list(per_user)
    return Dataset([_merge_rows(per_user[u]) for u in users], users)


def _merge_rows(rows: list[tuple[float, int, str, str, int]]) -> History:
    rows.sort(key=lambda r: (r[0], r[1]))
    items: list[str] = []
    skills: list[list[str]] = []
    correct: list[int] = []
    timestamps: list[float] = []
    seen: dict[tuple[str, float], int] = {}
    for ts, _, item, skill_text, c in rows:
        row_skills = [s for s in skill_text.split(SKILL_SEPARATOR) if s]
        key = (item, ts)
        at = seen.get(key)
        if at is not None:
            merged = skills[at]
            merged.extend(s for s in row_skills if s not in merged)
            continue
        seen[key] = len(items)
        items.append(item)
        skills.append(list(dict.fromkeys(row_skills)))
        correct.append(c)
        timestamps.append(ts)
    out = History.__new__(History)
    out.items, out.skills, out.correct, out.timestamps = items, skills, correct, timestamps
    return out


def windows(sequences: Iterable[History], size: int = 200) -> list[History]:
    return [w for s in sequences for w in s.windows(size)]


def split_learners(
    users: Sequence[str],
    *,
    folds: int = 5,
    test_users: Iterable[str] | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> tuple[list[str], list[list[str]]]:
    """
    Split learners into a test set and ``folds`` folds of the rest. The test set is
    ``test_users`` when given (those present), else ``test_fraction`` of the learners drawn with
    ``seed``. Returns (test learners, folds).
    """
    users = list(dict.fromkeys(users))
    rng = np.random.default_rng(seed)
    order = [users[i] for i in rng.permutation(len(users))]
    if test_users is not None:
        wanted = set(test_users)
        test = [u for u in users if u in wanted]
    else:
        n_test = round(test_fraction * len(users))
        test = order[:n_test]
    held = set(test)
    rest = [u for u in order if u not in held]
    folds = max(1, min(folds, len(rest))) if rest else 1
    return test, [list(part) for part in np.array_split(np.array(rest, dtype=object), folds)]
