"""The after-action report of a drill, in Markdown: the scorecard, strengths and areas for improvement per
objective, the hot-wash questions, and the improvement plan (owner, due date), with last drill's plan
shown done or not. Pure: the live mode hands it the scorecard and the follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from crisis.drill.scenario import DecisionPoint, Scenario
from crisis.drill.scorecard import Scorecard

HEADINGS = {
    "fr": ("Rapport après exercice", "Score", "Objectifs", "Points forts", "Axes d'amélioration", "Questions du débriefing à chaud",
           "Plan d'amélioration", "Plan de l'exercice précédent", "fait", "pas fait", "Règles enfreintes", "aucune", "à confirmer"),
    "en": ("After-action report", "Score", "Objectives", "Strengths", "Areas for improvement", "Hot-wash questions",
           "Improvement plan", "Last drill's plan", "done", "not done", "Rules broken", "none", "to confirm"),
}


@dataclass(frozen=True)
class PlanItem:
    """A corrective action: what, who, by when, the objective it answers; `done` is read for the last drill's plan
    (a rehearsal is done when its objective is now rated P; None: the facilitator confirms it)."""

    action: str
    owner: str
    due: date
    done: bool | None = None
    objective: str | None = None


def paging_section(paging: dict | None, lang: str) -> list[str]:
    """What paging gave the team, as the report tells it: the first page, its acknowledgement, the levels paged after."""
    if not paging or paging.get("first_page") is None:
        return []
    fr, first, ack = lang == "fr", paging["first_page"], paging["first_ack"]
    who = ", ".join(first["people"])
    out = ["## Astreinte" if fr else "## On call", ""]
    out.append(f"- Première alerte à {first['at']}, {first['after_detection_min']} min après la détection : niveau {first['level']} "
               f"sur {first['levels']} ({who})." if fr else
               f"- First page at {first['at']}, {first['after_detection_min']} min after detection: level {first['level']} of "
               f"{first['levels']} ({who}).")
    if ack is None:
        out.append("- Aucune alerte n'a été prise en compte." if fr else "- No page was ever acknowledged.")
    else:
        out.append(f"- Prise en compte à {ack['at']} par {ack['by']} (niveau {ack['level']}), {ack['after_first_page_min']} min après "
                   "la première alerte." if fr else f"- Acknowledged at {ack['at']} by {ack['by']} (level {ack['level']}), "
                   f"{ack['after_first_page_min']} min after the first page.")
    for row in paging["escalations"]:
        out.append(f"- Niveau {row['level']} appelé à {row['at']} ({', '.join(row['people'])})." if fr else
                   f"- Level {row['level']} paged at {row['at']} ({', '.join(row['people'])}): {row['cause']}.")
    return out + [""]


def render_aar(scenario: Scenario, card: Scorecard, *, lang: str, facilitator: str, held_on: date, plan: list[PlanItem],
               previous: list[PlanItem] | None = None) -> str:
    """The after-action report as Markdown."""
    h = HEADINGS[lang]
    why = {i.id: i.body.why(lang) for i in scenario.injects if isinstance(i.body, DecisionPoint)}
    out = [f"# {h[0]}: {scenario.title(lang)}", "", f"{held_on.isoformat()}, {facilitator}. **{h[1]}: {card.score:g}/100**", "",
           f"## {h[2]}", "", "| | | |", "| --- | --- | --- |"]
    out += [f"| {r.rating or '-'} | {r.objective.title(lang)} ({r.objective.weight}) | {r.proof} |" for r in card.results]
    out += ["", f"{h[10]}: {', '.join(card.breaches) or h[11]}", ""] + paging_section(card.extra.get("paging"), lang) + [f"## {h[3]}", ""]
    out += [f"- {r.objective.title(lang)}: {r.proof}" for r in card.results if r.rating in ("P", "S")] or ["-"]
    out += ["", f"## {h[4]}", ""]
    for r in card.results:
        if r.rating in ("M", "U"):
            point = r.objective.args.get("point")
            out.append(f"- {r.objective.title(lang)} ({r.rating}): {r.proof}" + (f". {why[point]}" if point in why else ""))
    out += ["", f"## {h[5]}", ""] + [f"{n}. {q(lang)}" for n, q in enumerate(scenario.hot_wash, 1)]
    out += ["", f"## {h[6]}", "", "| action | owner | due |", "| --- | --- | --- |"]
    out += [f"| {p.action} | {p.owner} | {p.due.isoformat()} |" for p in plan]
    if previous:
        status = {True: h[8], False: h[9], None: h[12]}
        out += ["", f"## {h[7]}", ""] + [f"- [{'x' if p.done else ' '}] {p.action} ({p.owner}, {p.due.isoformat()}): {status[p.done]}"
                                         for p in previous]
    return "\n".join(out) + "\n"
