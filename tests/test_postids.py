"""crawler.postids.PostIds behaves as a set of strings, whatever the ids look like."""

from __future__ import annotations

import pickle
import random

import pytest

from crawler.postids import PostIds, as_number

ODD = ["0", "00", "007", "１２", "٣", "-1", "+5", " 5", "5 ", "a-1", "", "1e3", "9" * 19,
       str(2 ** 63 - 1), str(2 ** 63), "123456789012345678901234567890"]


def _draw(rng: random.Random, known: list[str]) -> str:
    roll = rng.random()
    if roll < 0.65:
        return str(rng.randint(0, 10 ** rng.randint(1, 19)))
    if roll < 0.8:
        return rng.choice(ODD)
    return rng.choice(known) if known else "1"


@pytest.mark.parametrize("seed", range(40))
def test_random_adds_discards_and_lookups_agree_with_a_set(seed):
    rng = random.Random(f"postids:{seed}")
    want, got = set(), PostIds()
    for _ in range(rng.randint(0, 2000)):
        post_id = _draw(rng, list(want)[:50])
        if rng.random() < 0.05:
            want.discard(post_id)
            got.discard(post_id)
        else:
            want.add(post_id)
            got.add(post_id)
        probe = _draw(rng, [])
        assert (probe in got) == (probe in want), probe
    assert len(got) == len(want)
    assert sorted(got) == sorted(want) and got == want and want == got
    assert all(post_id in got for post_id in want)
    assert pickle.loads(pickle.dumps(got)) == want
    more = {"zz", "5", "0012"}
    union = got | more
    assert isinstance(union, PostIds) and union == want | more
    got |= more
    assert got == want | more


def test_canonical_numbers_only():
    assert [as_number(s) for s in ("0", "7", "8866221", str(2 ** 63 - 1))] == [
        0, 7, 8866221, 2 ** 63 - 1]
    assert all(as_number(s) is None for s in ODD if s not in ("0", "9" * 19, str(2 ** 63 - 1)))
    assert as_number(7) is None  # only strings are post ids


def test_numbers_are_kept_in_a_few_bytes_each():
    ids = PostIds(str(8_000_000 + 7 * k) for k in range(5000))
    assert len(ids) == 5000 and "8000007" in ids and "8000008" not in ids
    assert ids.__sizeof__() < 5000 * 12  # 8 in the array, a few in the latest additions
    words = PostIds(f"a{k}" for k in range(100))  # not numbers: strings, as a set keeps them
    assert words.__sizeof__() > 100 * 50
