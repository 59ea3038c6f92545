"""The two serialisations of the ``DETAIL`` object seen on real gkmlpt detail pages.

Both are valid JSON, so a crawler decodes either with a JSON decoder.

Example::

    encode_detail({"t": "<a href=\\"x\\">年</a>"}, Escape.HEX)
    # '{"t":"\\u003Ca href=\\u0022x\\u0022\\u003E\\u5e74\\u003C\\/a\\u003E"}'
    encode_detail({"t": "<a href=\\"x\\">年</a>"}, Escape.PLAIN)
    # '{"t":"<a href=\\"x\\">年</a>"}'
"""

from __future__ import annotations

import json

from .model import Escape

_HEX_SPECIAL = {'"': "\\u0022", "&": "\\u0026", "<": "\\u003C", ">": "\\u003E",
                "'": "\\u0027", "/": "\\/", "\\": "\\\\", "\n": "\\n", "\r": "\\r",
                "\t": "\\t"}


def _hex_string(text: str) -> str:
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _HEX_SPECIAL:
            out.append(_HEX_SPECIAL[ch])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code > 0xFFFF:  # outside the BMP: a surrogate pair, as JSON requires
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def _hex_value(value: object) -> str:
    if isinstance(value, str):
        return _hex_string(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_hex_string(k)}:{_hex_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_hex_value(v) for v in value) + "]"
    return json.dumps(value)


def encode_detail(detail: dict, escape: Escape) -> str:
    """``detail`` as one line of JSON in the given escaping style."""
    if escape is Escape.HEX:
        return _hex_value(detail)
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":"))
