"""The errors crisis reports to people, each with its exit code and an optional hint.

    CrisisError                     exit 1, any failure we expected and can explain
    ├── UsageError                  exit 2, a command called the wrong way (bad option value)
    ├── NotFoundError (LookupError) exit 3, no incident, playbook, fact or item by that name
    ├── RefusedError                exit 4, the rules of the trade forbid this action now
    │   └── IdentityError           exit 10, who you are (OS user, database role) is not who you claim to be
    ├── ContentError (ValueError)   exit 5, a playbook, template or input file is invalid
    ├── StorageError                exit 6, the database cannot be reached, is locked or too old
    │   └── ConflictError           exit 7, someone else changed the incident meanwhile
    ├── TamperedError               exit 8, the timeline's hash chain does not verify
    ├── DegradedRun                 exit 9, the job ran without a broken playbook or roster, which it names
    └── InterruptedRun              exit 130, a long run stopped by the user (Ctrl-C); what it committed stays

Catch `CrisisError` at an entry point; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class CrisisError(Exception):
    """A failure we can explain to the responder; `hint` says what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CrisisError):
    exit_code = 2


class NotFoundError(CrisisError, LookupError):
    exit_code = 3


class RefusedError(CrisisError):
    """An action the lifecycle or a rule forbids now; `allowed` lists what is possible instead."""

    exit_code = 4

    def __init__(self, message: str, *, hint: str | None = None, allowed: tuple[str, ...] | None = None) -> None:
        super().__init__(message, hint=hint)
        self.allowed = allowed


class IdentityError(RefusedError):
    """The actor claimed (--as, CRISIS_USER) is not the person the roster binds to this OS user or database role;
    the message names both."""

    exit_code = 10


class ContentError(CrisisError, ValueError):
    """Invalid content; the message starts with `file:line:column:` when a place is known."""

    exit_code = 5


class StorageError(CrisisError):
    exit_code = 6


class ConflictError(StorageError):
    exit_code = 7


class TamperedError(CrisisError):
    exit_code = 8


class DegradedRun(CrisisError):
    """A job (ingest, tick) that did what it could without some broken content, named in the message: one
    broken playbook never stops the detection of the others, a broken roster never silences paging."""

    exit_code = 9


class InterruptedRun(CrisisError):
    """A long run (an ingest) stopped by the user: the message says what was kept, the hint how to finish."""

    exit_code = 130
