"""The records every platform hands to the shared walk (``crawler.platforms``): a list entry's
digest, which decides whether a post is fetched again on the next night, and the text of a body.
"""

from __future__ import annotations

import hashlib

from hypothesis import given, strategies as st

from crawler.platforms import ListedPost, html_text, raw_sha256

KEYS = st.text("abcdefghij_", min_size=1, max_size=6)
VALUES = st.one_of(st.integers(-10**6, 10**6), st.text("凤岗镇年报abc 0123-:/", max_size=8))


def canonical(entry: dict) -> str:
    """The archived canonical form, written out by hand: keys sorted, no spaces, UTF-8 text."""
    def value(v):
        return str(v) if isinstance(v, int) else f'"{v}"'
    return "{" + ",".join(f'"{k}":{value(entry[k])}' for k in sorted(entry)) + "}"


@given(st.dictionaries(KEYS, VALUES, max_size=6), st.randoms())
def test_a_list_entry_digest_is_its_canonical_json_whatever_the_key_order(entry, rnd):
    keys = list(entry)
    rnd.shuffle(keys)
    shuffled = {k: entry[k] for k in keys}
    expected = hashlib.sha256(canonical(entry).encode("utf-8")).hexdigest()
    assert raw_sha256(shuffled) == raw_sha256(entry) == expected
    listed = ListedPost(site="s", post_id="1", title="t", url="http://h/1", raw=shuffled)
    assert listed.sha256 == expected


@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=6), st.data())
def test_any_changed_value_changes_the_digest(entry, data):
    key = data.draw(st.sampled_from(sorted(entry)))
    changed = dict(entry, **{key: data.draw(VALUES.filter(lambda v: v != entry[key]))})
    assert raw_sha256(changed) != raw_sha256(entry)


@given(st.lists(st.text("甲乙丙 abc", min_size=1, max_size=5).filter(str.strip), min_size=1,
                max_size=4))
def test_the_text_of_a_body_fragment(words):
    fragment = words[0] + "".join(f"<p>{w}</p>" for w in words[1:])
    assert html_text(fragment) == "".join(words)
    assert html_text(" \n\t ") == "" and html_text("") == ""
