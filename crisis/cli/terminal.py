"""Text from outside (mentions, titles, authors) made safe to print on a responder's terminal.

Whoever posts on social media must not write to the responder's terminal: an incident title made
from a mention can carry `ESC ] 0 ; … BEL` (set the window title), `ESC [ 2 J` (clear the screen),
an 8-bit CSI, or a right-to-left override that shows a text backwards. `printable` shows each such
character as a visible escape (`\\x1b`, `\\u202e`) instead of letting the terminal obey it.
"""

from __future__ import annotations

import re

# C0 controls and DEL, C1 controls, and the Unicode formatting characters that reorder or hide text:
# bidi embeddings, overrides and isolates, the Arabic letter mark, line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def printable(text: str, *, multiline: bool = False) -> str:
    """`text` with every control, C1 and bidi-override character shown as an escape. Newlines and tabs
    are kept only when `multiline`; a one-line field (a title in a table) shows them as `\\n`, `\\t`.
    Raises nothing."""
    return (_LINE_CONTROLS if multiline else _CONTROLS).sub(_shown, text)
