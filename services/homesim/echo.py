"""How an error echoes a bad value: cut before it is formatted, so a huge one costs nothing.

The lowest layer: every reader (home and finance files, schedules, profiles, weather files)
may use it.
"""

from __future__ import annotations

from typing import Any, Iterator

#: A bad value is echoed in an error up to this many characters (a huge one is cut).
SHOWN = 80


def shown(value: Any, limit: int = SHOWN) -> str:
    """A bad value as an error echoes it: ``repr`` of text, ``str`` of anything else, cut at
    ``limit`` characters with its size said (``'xxx...'... (9,000,000 characters)``). Only a
    bounded prefix is ever formatted: never the whole of a huge string, list or mapping (a
    10 MB file's, or what YAML aliases make of it), so the time and memory are bounded too."""
    pieces: list[str] = []
    length = 0
    for piece in _pieces(value, limit, top=True):
        pieces.append(piece)
        length += len(piece)
        if length > limit:
            break
    text = "".join(pieces)
    if len(text) <= limit:
        return text
    if isinstance(value, str):
        size = f"{len(value):,} characters"
    elif isinstance(value, (list, tuple, dict)):
        size = f"{len(value):,} item{'s' if len(value) != 1 else ''}"
    else:
        size = "cut"
    return f"{text[:limit]}... ({size})"


def _pieces(value: Any, limit: int, top: bool = False) -> Iterator[str]:
    """``str(value)`` (``top``) or ``repr(value)`` in pieces, lazily: a consumer that stops
    early formats no more than it took (a string's piece is at most its first ``limit + 1``
    characters; nested lists are entered no deeper than the pieces taken)."""
    if isinstance(value, str):
        yield repr(value[: limit + 1])
    elif isinstance(value, (list, tuple)):
        yield "["
        for index, item in enumerate(value):
            yield ", " if index else ""
            yield from _pieces(item, limit)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ", " if index else ""
            yield from _pieces(key, limit)
            yield ": "
            yield from _pieces(item, limit)
        yield "}"
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 10_000:
        yield f"an integer of {value.bit_length():,} bits"  # str() of a huge one is refused (or slow)
    else:
        yield (str(value) if top else repr(value))[: limit + 1]
