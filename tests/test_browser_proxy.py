"""How the browser is given a proxy (``crawler.browser._proxy_parts``): Chromium's
``--proxy-server`` takes no user info, so a proxy URL is split into the server and the
credentials the browser answers the proxy's 407 with. Proxy URLs are generated: any scheme the
crawl accepts, a domain, IPv4 or IPv6 host, a port or none, and user names and passwords of any
characters (``@``, ``:``, ``/``, ``%``, CJK, spaces), percent-encoded as a URL must carry them.
The expectation is built from the drawn parts. (The browser itself is tested end to end in
test_browser_solver.py.)"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given, settings, strategies as st

from crawler.browser import _proxy_parts

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
HOST = st.one_of(
    st.lists(LABEL, min_size=1, max_size=3).map(lambda labels: ".".join(labels + ["cn"])),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda n: ".".join(map(str, n))),
    st.tuples(*[st.integers(0, 0xFFFF)] * 8).map(lambda n: "[" + ":".join(f"{x:x}" for x in n)
                                                  + "]"))
SECRET = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(["http", "https", "socks5"]), host=HOST,
       port=st.one_of(st.none(), st.integers(1, 65535)), user=SECRET,
       password=st.one_of(st.none(), SECRET))
def test_a_proxy_url_is_split_into_its_server_and_its_credentials(scheme, host, port, user,
                                                                  password):
    server = f"{scheme}://{host}" + (f":{port}" if port else "")
    userinfo = quote(user, safe="") + ("" if password is None else
                                       ":" + quote(password, safe=""))
    proxy = f"{scheme}://{userinfo}@{server.split('://', 1)[1]}"
    assert _proxy_parts(proxy) == (server, (user, password or ""))
    assert _proxy_parts(server) == (server, None)  # no credentials: the URL as it is


def test_no_proxy_is_none():
    assert _proxy_parts(None) == (None, None) and _proxy_parts("") == (None, None)
