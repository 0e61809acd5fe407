"""Options and arguments shared by several commands."""

from typing import Annotated

import typer

ACTOR_HELP = "Who acts (default: $CRISIS_USER; when the roster binds identities, you: only some roles may act for others)."
Actor = Annotated[str | None, typer.Option("--as", envvar="CRISIS_USER", show_envvar=True, help=ACTOR_HELP)]
Ref = Annotated[str, typer.Argument(help="Incident reference, e.g. INC-0042 or 42.", show_default=False)]
Json = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of text.")]
Note = Annotated[str | None, typer.Option("--note", "-n", help="A note for the timeline: why, what was seen.")]
