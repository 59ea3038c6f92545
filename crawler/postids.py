"""A set of post ids (strings) in about 10 bytes an id where the ids are decimal numbers, as
gkmlpt's are: what a spider keeps of every post a site's lists showed, for the whole run.

A plain ``set`` of strings costs about 90 bytes an id, and the spider keeps two for every site
(every id its lists showed, and each list's own): about 180 bytes a listed post, 30 MB for the
300 simulated sites, a quarter of a GB for 2,000 real ones (docs/benchmarks.md, "A simulated
province"). Here the numbers sit sorted in an ``array('q')``; the latest additions wait in a
small set (at most a 32nd of the array, at least :data:`MIN_RECENT`) and are merged in
when it fills; an id that is not a canonical decimal number (UCAP's, ``0012``) is kept as a
string in a set of its own. It is a :class:`collections.abc.MutableSet` of strings:
``in``, ``add``, ``len``, iteration, ``|`` and ``|=`` behave as with a ``set``.

Example::

    seen = PostIds()
    seen.add("8866221"); "8866221" in seen      # True
    seen |= {"a-1", "12"}; sorted(seen)          # ['12', '8866221', 'a-1']
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, MutableSet
from itertools import chain

MIN_RECENT = 16  # additions kept aside before a merge, at least
MAX_NUMBER = 2 ** 63 - 1


def as_number(post_id) -> int | None:
    """The id as the number it spells when ``str(number)`` gives it back (no sign, no leading
    zero, ASCII digits only, within 64 bits); else None."""
    if not isinstance(post_id, str) or not post_id.isascii() or not post_id.isdigit():
        return None
    if len(post_id) > 1 and post_id[0] == "0":
        return None
    number = int(post_id)
    return number if number <= MAX_NUMBER else None


class PostIds(MutableSet):
    __slots__ = ("_sorted", "_recent", "_other")

    def __init__(self, ids: Iterable[str] = ()):
        self._sorted = array("q")  # numbers, ascending, no duplicates
        self._recent: set[int] = set()  # numbers added since the last merge, none in _sorted
        self._other: set[str] = set()  # ids that are not canonical numbers
        for post_id in ids:
            self.add(post_id)

    @classmethod
    def _from_iterable(cls, ids: Iterable[str]) -> "PostIds":
        return cls(ids)

    def _in_sorted(self, number: int) -> bool:
        at = bisect_left(self._sorted, number)
        return at < len(self._sorted) and self._sorted[at] == number

    def __contains__(self, post_id) -> bool:
        number = as_number(post_id)
        if number is None:
            return post_id in self._other
        return number in self._recent or self._in_sorted(number)

    def add(self, post_id: str) -> None:
        number = as_number(post_id)
        if number is None:
            self._other.add(post_id)
            return
        if number in self._recent or self._in_sorted(number):
            return
        self._recent.add(number)
        if len(self._recent) >= max(MIN_RECENT, len(self._sorted) // 32):
            self._merge()

    def discard(self, post_id: str) -> None:
        number = as_number(post_id)
        if number is None:
            self._other.discard(post_id)
            return
        self._recent.discard(number)
        at = bisect_left(self._sorted, number)
        if at < len(self._sorted) and self._sorted[at] == number:
            del self._sorted[at]

    def _merge(self) -> None:
        # Two ascending runs: sorted() merges them in one pass.
        self._sorted = array("q", sorted(chain(self._sorted, sorted(self._recent))))
        self._recent = set()

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent) + len(self._other)

    def __iter__(self) -> Iterator[str]:
        for number in chain(self._sorted, sorted(self._recent)):
            yield str(number)
        yield from self._other

    def __sizeof__(self) -> int:
        """Bytes of the whole: the object, its array, its sets and what they hold."""
        return (object.__sizeof__(self) + sys.getsizeof(self._sorted)
                + sys.getsizeof(self._recent) + sum(map(sys.getsizeof, self._recent))
                + sys.getsizeof(self._other) + sum(map(sys.getsizeof, self._other)))

    def __repr__(self) -> str:
        return f"PostIds({sorted(self)!r})"

    def __getstate__(self):
        self._merge()
        return self._sorted, self._other

    def __setstate__(self, state) -> None:
        self._sorted, self._other = state
        self._recent = set()
