"""Text from outside (mentions, titles, authors) made safe to print on a responder's terminal.

Whoever posts on social media must not write to the responder's terminal: an incident title made
from a mention can carry `ESC ] 0 ; … BEL` (set the window title), `ESC [ 2 J` (clear the screen),
an 8-bit CSI, or a right-to-left override that shows a text backwards. `printable` shows each such
character as a visible escape (`\\x1b`, `\\u202e`) instead of letting the terminal obey it.
"""

from __future__ import annotations

import os
import re
import sys

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


# --- colour and width -----------------------------------------------------------------------------------------------
# On a terminal, rich draws tables and colours (imported only then: a pipe, a cron job or `--json` never pays for it).
# Through a pipe, or with NO_COLOR set (https://no-color.org), the text is plain, exactly what scripts have always read.

SEVERITY_STYLES = {"SEV1": "bold red", "SEV2": "dark_orange", "SEV3": "yellow"}  # SEV4: the terminal's own colour
ALARM_STYLE = "bold red"
# What must catch the eye in show and timeline, in both languages: a deadline passed, a page lost, a move refused.
ALARMS = (r"\b(?:BREACHED|OVERDUE|FAILED|NOBODY)\b.*$", r"(?:DÉPASSÉE|EN RETARD|ÉCHEC|PERSONNE)\b.*$",
          r"\b(?:refused|rejected|refusée?)\b.*$")
PIPE_TITLE_WIDTH = 100  # through a pipe, `list` still keeps one short line per incident


def _stream_is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def colour_wanted(stream) -> bool:
    """True when `stream` is a terminal and neither NO_COLOR nor TERM=dumb asks for plain text."""
    return _stream_is_terminal(stream) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def console(*, err: bool = False):
    """A rich Console on stdout (or stderr) when colour is wanted there, else None: then print plain text. Raises nothing."""
    stream = sys.stderr if err else sys.stdout
    if not colour_wanted(stream):
        return None
    from rich.console import Console

    return Console(file=stream, highlight=False, markup=False, emoji=False)


def width(stream=None) -> int | None:
    """The width of the terminal behind `stream` (stdout by default), or None through a pipe."""
    stream = stream or sys.stdout
    if not _stream_is_terminal(stream):
        return None
    import shutil

    return shutil.get_terminal_size().columns


def cells(text: str) -> int:
    """How many terminal columns `text` takes (East Asian wide characters and most emoji take two): rich's measure."""
    from rich.cells import cell_len

    return cell_len(text)


def cut(text: str, columns: int) -> str:
    """`text` cut to at most `columns` terminal columns, ending with `…` when something was cut."""
    if cells(text) <= columns:
        return text
    from rich.cells import set_cell_size

    return set_cell_size(text, columns - 1).rstrip(" ") + "…"


def styled(text: str):
    """`text` (already `printable`) as a rich Text with severities, passed deadlines, failed pages and refusals coloured."""
    from rich.text import Text

    shown = Text(text)
    for severity, style in SEVERITY_STYLES.items():
        shown.highlight_regex(rf"\b{severity}\b", style)
    for pattern in ALARMS:
        shown.highlight_regex(f"(?m){pattern}", ALARM_STYLE)
    shown.highlight_regex(r"\[(?:DRILL|EXERCICE)\]", "bold magenta")
    return shown


def print_styled(out, text: str) -> None:
    """Print `show`'s text on the console `out`: its first line (the title) cut to the width, the rest coloured."""
    first, _, rest = text.partition("\n")
    out.print(styled(first), no_wrap=True, overflow="ellipsis")
    if rest:
        out.print(styled(rest), soft_wrap=True)


def warn(message: str) -> None:
    """`Warning: message` on stderr; the label in bold yellow on a terminal."""
    if (err := console(err=True)) is not None:
        from rich.text import Text

        err.print(Text.assemble(("Warning:", "bold yellow"), " ", message), soft_wrap=True)
    else:
        import typer

        typer.echo(f"Warning: {message}", err=True)
