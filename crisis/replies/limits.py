"""What one render of a reply template may spend: CPU time, operations, characters and integer size.

A reply is a few thousand characters made in a few milliseconds. A template that tries to make
400 MB, a number of a billion digits or a loop of 400 million turns (by mistake, or pasted from
somewhere) is stopped before it allocates, with `LimitExceeded` saying which limit and why; the
render module turns it into a ContentError naming the template and line. Pure: stdlib only.

The CPU budget is read from `time.thread_time` (CPU seconds of this thread), not from the wall
clock: it measures the work done, whatever the load of the machine.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

MAX_SECONDS = 0.5  # CPU seconds per render: a reply renders in milliseconds
MAX_OPERATIONS = 100_000  # loop turns, calls, operators and filters per render
MAX_OUTPUT = 200_000  # characters written per render, in the reply or in a macro or `set` block: ~40 × the longest reply
MAX_STRING = 100_000  # characters of any one text an operation builds
MAX_BUILT = 5_000_000  # characters all the operations of a render may build together
MAX_INT_BITS = 4_096  # a number of about 1,200 digits: no reply needs more
MAX_DEPTH = 64  # nested calls (a macro calling a macro…): our own cap, whatever Python's recursion limit is set to
_FORMAT_SPEC = re.compile(r"%[^%a-zA-Z]*[a-zA-Z%]")
_NUMBER = re.compile(r"\d+")


class LimitExceeded(Exception):
    """A render went past one of the limits above; the message says which, in the team lead's words."""


class Budget:
    """What is left to one render."""

    def __init__(self, *, seconds: float = MAX_SECONDS) -> None:
        self.deadline = time.thread_time() + seconds
        self.seconds, self.operations, self.output, self.built, self.depth = seconds, 0, 0, 0, 0

    def spend(self, operations: int = 1) -> None:
        self.operations += operations
        if self.operations > MAX_OPERATIONS:
            raise LimitExceeded(f"more than {MAX_OPERATIONS:,} operations (loop turns, calls, operators)")
        if self.operations % 16 == 0 and time.thread_time() > self.deadline:
            raise LimitExceeded(f"rendering took more than {self.seconds:g} s of CPU")

    @contextmanager
    def nested(self) -> Iterator[None]:
        """One call deeper for the time of the block. Raises LimitExceeded past MAX_DEPTH."""
        if self.depth >= MAX_DEPTH:
            raise LimitExceeded(f"a macro or loop calls itself without end (recursion too deep: more than {MAX_DEPTH} nested calls)")
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def build(self, characters: int) -> None:
        """Account for a text about to be built, before it is. Raises LimitExceeded."""
        self.spend()
        if characters > MAX_STRING:
            raise LimitExceeded(f"a text of {characters:,} characters (at most {MAX_STRING:,})")
        self.built += characters
        if self.built > MAX_BUILT:
            raise LimitExceeded(f"the operations built more than {MAX_BUILT:,} characters")

    def write(self, text: str) -> str:
        self.spend()
        self.output += len(text)
        if self.output > MAX_OUTPUT:
            raise LimitExceeded(f"the output passed {MAX_OUTPUT:,} characters")
        return text


_CURRENT: ContextVar[Budget | None] = ContextVar("crisis_render_budget", default=None)


@contextmanager
def budget(*, seconds: float = MAX_SECONDS) -> Iterator[Budget]:
    """A fresh budget for the render inside the `with`."""
    token = _CURRENT.set(Budget(seconds=seconds))
    try:
        yield _CURRENT.get()  # type: ignore[misc]
    finally:
        _CURRENT.reset(token)


def current() -> Budget:
    """The budget of the render under way (a fresh one, kept nowhere, outside a render)."""
    return _CURRENT.get() or Budget()


def loop(items: Iterable[Any]) -> Iterator[Any]:
    """The items of a template `for`, each turn spent from the budget."""
    spend = current().spend
    for item in items:
        spend()
        yield item


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, an operation whose result would break a limit. Raises LimitExceeded."""
    here = current()
    here.spend()
    ints = _is_int(left) and _is_int(right)
    if operator == "**" and _is_number(left) and _is_number(right):
        if abs(right) > 64 or (ints and right > 0 and abs(left).bit_length() * right > MAX_INT_BITS):
            raise LimitExceeded(f"the power {_short(left)} ** {_short(right)} is too large for a reply template")
    elif operator == "*" and ints:
        _int_bits(left.bit_length() + right.bit_length())
    elif operator == "*" and isinstance(left, (str, list, tuple)) != isinstance(right, (str, list, tuple)):
        count, seq = (right, left) if isinstance(left, (str, list, tuple)) else (left, right)
        if _is_int(count):
            here.build(max(count, 0) * len(seq))
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        here.build(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        check_format(left)
    elif ints:
        _int_bits(max(left.bit_length(), right.bit_length()) + 1)


def check_format(spec: str) -> None:
    """Refuse a `%` format whose widths or precisions would build a text past the limit. Raises LimitExceeded."""
    for field in _FORMAT_SPEC.findall(spec):
        if "*" in field:
            raise LimitExceeded(f"the format {field!r} takes its width from the values: give it as a number")
        for number in _NUMBER.findall(field):
            if len(number) > 6 or int(number) > MAX_STRING:
                raise LimitExceeded(f"the format {field[:20]!r} asks for a width of {_short(int(number[:40]))} characters "
                                    f"(at most {MAX_STRING:,})")
    current().build(len(spec))


def check_str_method(text: str, name: str, args: tuple[Any, ...]) -> None:
    """Refuse a call of a text method (center, zfill, expandtabs, replace, join…) that would break a limit."""
    here = current()
    if name in ("center", "ljust", "rjust", "zfill") and args and _is_int(args[0]):
        here.build(max(args[0], len(text)))
    elif name == "expandtabs":
        size = args[0] if args and _is_int(args[0]) else 8
        here.build(len(text) + text.count("\t") * max(size, 0))
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        here.build(replaced_size(text, args[0], args[1]))
    elif name == "join" and args:
        here.build(len(text) * max(_count(args[0]) - 1, 0))
    else:
        here.spend()


def replaced_size(text: str, old: str, new: str) -> int:
    """The size, at most, of `text.replace(old, new)`."""
    times = len(text) + 1 if not old else text.count(old)
    return len(text) + times * max(len(new) - len(old), 0)


def indented_size(text: str, width: Any) -> int:
    """The size, at most, of the `indent` filter's result."""
    per_line = len(width) if isinstance(width, str) else width if _is_int(width) else 0
    return len(text) + (text.count("\n") + 1) * max(per_line, 0)


def _count(items: Any) -> int:
    return len(items) if isinstance(items, Sized) else MAX_STRING + 1


def _int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(f"a number of about {int(bits * 0.30103):,} digits (at most about {int(MAX_INT_BITS * 0.30103):,})")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _short(value: Any) -> str:
    if _is_int(value) and value.bit_length() > 64:
        return f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    return repr(value)[:40]
