"""The on-call roster a simulated drill pages: the workspace's `oncall.yaml` when the scripted team is on it,
else the drill roster shipped beside the scenarios (`drills/oncall.yaml`), so that every simulation
rehearses paging with the code of a real incident."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crisis.drill.play import Play
from crisis.oncall.roster import ROSTER_FILE, Roster, load_roster
from crisis.settings import Settings

DRILL_ROSTER = "oncall.yaml"  # in the drills folder, beside the scenarios: the scripted teams' roster


@dataclass(frozen=True)
class DrillRoster:
    """The roster a simulation pages with (None: nobody is paged), where it comes from, and why that one."""

    roster: Roster | None
    source: str  # "workspace", "drill" or "none"
    note: str  # one line for the scorecard


def simulation_roster(settings: Settings, play: Play) -> DrillRoster:
    """The workspace's roster when every person of `play` is on it (the team plays the real on-call), else
    the drill roster of the drills folder, else none. Raises ContentError for a roster file that does not load."""
    missing: list[str] = []
    if settings.workspace is not None:
        workspace = load_roster(settings.workspace / ROSTER_FILE)
        if workspace is not None:
            missing = [m.id for m in play.people if workspace.find_person(m.id) is None]
            if not missing:
                return DrillRoster(workspace, "workspace", f"paging: the workspace roster {workspace.path}")
    drill = load_roster(Path(settings.drills_dir) / DRILL_ROSTER)
    if drill is None:
        return DrillRoster(None, "none", f"paging: none (no {ROSTER_FILE} in the workspace nor in {settings.drills_dir})")
    why = f" (the workspace roster does not list {', '.join(missing)})" if missing else ""
    return DrillRoster(drill, "drill", f"paging: the drill roster {drill.path}{why}")
