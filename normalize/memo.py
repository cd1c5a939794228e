"""Bounded memories of what was worked out about a line.

News lines recur (a site's chrome on every page, a story's paragraphs in every
reprint), and most of what the stages work out about a line depends on the line
alone, so they remember it under the line's text. ``functools.lru_cache`` would
do, but a look-up through it is a call of a Python object (its arguments packed
in a tuple) and a move of the entry in a linked list, which costs more than the
dictionary look-up itself: in a run, with memories of tens of thousands of
lines, those moves touch memory the look-up does not, and the lines' look-ups
were some 5% of a run's CPU. A memory here is a plain ``dict`` the compiled
caller looks in itself::

    _FACTS: Final[dict[str, Facts]] = {}

    def facts(line: str) -> Facts:
        known = _FACTS.get(line)
        return known if known is not None else remember(_FACTS, line, work_out(line), ROOM)

It is bounded: once it holds ``room`` entries, the older half (those put first)
is forgotten before the next is put. Unlike an LRU cache it forgets a line
still in use if it was put early, so it is given twice the room an LRU cache
would be given: played through the lines of a worker at 100k generated articles,
such a memory with room for 131,072 lines misses as often as an LRU cache of
65,536 (112,181 against 115,292 times; with room for 65,536, 142,610 times).

What a memory holds never changes a result, only how soon it is ready.
"""
from __future__ import annotations

from itertools import islice
from typing import Any, TypeVar

V = TypeVar("V")


def remember(memory: dict, key: Any, value: V, room: int) -> V:
    """Put ``value`` under ``key`` in ``memory`` and return it; if ``memory``
    is full (``room`` entries), forget its older half first."""
    if len(memory) >= room:
        forget_older_half(memory)
    memory[key] = value
    return value


def forget_older_half(memory: dict) -> None:
    """Forget the entries put first, half of them (in place: callers hold the dict)."""
    for key in list(islice(memory, len(memory) // 2)):
        del memory[key]
