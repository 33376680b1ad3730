"""Text from outside (the candidate, a model, a file name, the environment) made safe to show.

- `terminal_safe(text)`: control characters, escape sequences (OSC 52, CSI 2J, OSC 8 …), C1
  controls and bidi overrides shown as visible symbols instead of acting on the terminal.
- `redact_urls(text)`: credentials inside URLs (`user:pass@`, `?api-key=…`) replaced by `***`.
- `write(text, stream)`: the one output boundary: every terminal write of the headless
  commands goes through it, so whatever string reaches it, nothing in it can act.
- `json_text(data)`: JSON for a terminal: C1 controls and bidi overrides escaped as \\uXXXX.

This module imports only the standard library: the headless commands load it at start-up.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO


def _control_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if chr(code) not in "\n\t":
            table[code] = chr(0x2400 + code)  # U+2400.. control pictures: ␀ ␛ ␍ …
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):  # C1 controls: 0x9b is a one-byte CSI on some terminals
        table[code] = f"\\x{code:02x}"
    for code in _BIDI:
        table[code] = f"<U+{code:04X}>"  # bidi overrides reorder what is displayed
    for code in range(0xD800, 0xE000):
        table[code] = "\ufffd"  # lone surrogates (undecodable bytes) cannot be written out
    return table


_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
_CONTROLS = _control_table()


def terminal_safe(text: str) -> str:
    """Text made inert for a terminal: escape sequences, NUL, carriage returns, backspaces,
    C1 controls and bidi overrides are shown as visible symbols (ESC as ␛); newlines and tabs
    stay. Idempotent: safe text passes through unchanged."""
    return text.replace("\r\n", "\n").translate(_CONTROLS)


# ------------------------------------------------------------------ credentials in URLs

_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:[\w.-]*(?:key|token|secret|password|passwd|pwd|auth|sig|signature|"
    r"credential)[\w.-]*)=)([^&#;\s'\"<>]*)"
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s@'\"<>]*@")


def redact_urls(text: str) -> str:
    """`http://user:pass@host/v1?api-key=K` -> `http://***@host/v1?api-key=***`: the
    user-info of every URL and the value of every query parameter named like a secret."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(r"\1***@", text)
    return _SECRET_PARAM.sub(r"\1***", text)


# ------------------------------------------------------------------ the output boundary

_OUR_SGR = re.compile(r"\x1b\[(?:0|1|2|1;3[0-7]|1;0)m")
"""The styles `render.Style` emits (reset, bold, dim, bold colours): nothing else survives."""


def shown(text: str, keep_style: bool = False) -> str:
    """What `write` puts on the terminal for `text`."""
    text = redact_urls(text)
    if not keep_style or "\x1b" not in text:
        return terminal_safe(text)
    out, last = [], 0
    for match in _OUR_SGR.finditer(text):
        out += [terminal_safe(text[last : match.start()]), match.group()]
        last = match.end()
    out.append(terminal_safe(text[last:]))
    return "".join(out)


def write(text: str, stream: TextIO | None = None, end: str = "\n", flush: bool = True) -> None:
    """The one way the headless commands write to the terminal: credentials in URLs are
    redacted and every control sequence is made visible, except our own styles when the
    stream is a terminal that shows them."""
    stream = stream or sys.stdout
    keep = _styled(stream)
    stream.write(shown(text, keep) + end)
    if flush:
        stream.flush()


def _styled(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_JSON_UNSAFE = re.compile("[\u0080-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_text(data: Any) -> str:
    """Indented JSON that cannot act on a terminal: json escapes C0 controls itself; C1
    controls and bidi overrides are escaped too (still valid JSON, same data)."""
    text = json.dumps(data, indent=2, default=str, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", redact_urls(text))
