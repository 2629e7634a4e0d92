"""Counting in words: "1 segment", "2 segments"."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1 (``many`` for irregular plurals)."""
    return f"{n} {word if n == 1 else many or word + 's'}"
