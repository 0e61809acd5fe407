"""Drill simulation speed: a 72-hour bad-buzz scenario with about 21,000 injected mentions, played by the
shipped diligent team, against `crisis ingest` of the very same mentions, in the same run.

    python bench/drill_simulation.py [--seed 0]

The limit (issue 10): the simulation takes at most 10 s on the 2-core machine, and the drill
machinery (virtual clock, MEL, conditions, the team's moves, ticks, scoring) adds at most 50 % to
the ingest of its mentions. The ingest runs in-process through the CLI (`crisis ingest FILE`,
batches of 5,000) on a fresh SQLite workspace; the drill polls the stream every 15 minutes of drill
time, so its batches are smaller and more numerous, as a monitoring tool's would be.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from typer.testing import CliRunner

from crisis.cli import app
from crisis.drill.loader import parse_scenario
from crisis.drill.play import load_play
from crisis.drill.simulator import run_drill, simulation_start
from crisis.drill.traffic import background_mentions, expand_inject
from crisis.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = """
id: bench_72h
title: {fr: "Banc d'essai : trois jours de bad buzz", en: "Benchmark: three days of backlash"}
summary: {fr: "Une publicité détournée, trois vagues, la presse.", en: "A diverted ad, three waves, the press."}
languages: [fr]
brand: Maison Lenoir
playbooks: [bad_buzz]
duration: 3d
difficulty: medium
start: {weekday: tue, time: "09:00", timezone: Europe/Paris}
personas:
  - {id: spotter, name: Julien Roussel, handle: "@julien_zoome", platform: x, followers: 1850, language: fr, disposition: critic}
  - {id: newsroom, name: Le Fil Com, handle: "@lefilcom", platform: press, followers: 42000, language: fr, disposition: journalist}
  - {id: journalist, name: Sophie Berthier, handle: "+33 1 00 00 00 00", platform: phone, followers: 0, language: fr, disposition: journalist}
pools:
  ordinary: ["Ma commande Maison Lenoir est arrivée", "Les soldes Maison Lenoir commencent quand ?", "Retour gratuit chez Maison Lenoir ?", "Joli pull chez Maison Lenoir", "Vous livrez le samedi ?"]
  mockery: ["Qui a validé ça chez Maison Lenoir ?", "C'est une honte cette pub Maison Lenoir", "Boycott Maison Lenoir", "Retirez cette pub Maison Lenoir", "Maison Lenoir, qui a validé cette pub ??"]
background: {per_hour: 40, pool: ordinary, platforms: [x, facebook, instagram]}
injects:
  - {id: first_post, at: "T+0:00", post: {persona: spotter, text: "Vous avez vu leur pub ? Qui a validé ça chez Maison Lenoir ?"}}
  - {id: f1, at: "T+0:00", fact: {playbook: bad_buzz, key: origin_platform, value: x, text: {fr: Sur X., en: On X.}}}
  - {id: f2, at: "T+0:00", fact: {playbook: bad_buzz, key: offending_content, value: ad_campaign, text: {fr: La pub., en: The ad.}}}
  - {id: f3, at: "T+0:00", fact: {playbook: bad_buzz, key: sensitive_stakes, value: false, text: {fr: Rien de sensible., en: Nothing sensitive.}}}
  - {id: wave1, at: "T+0:10", wave: {count: 7000, over: 12h, peak: 3h, pool: mockery, platforms: [x, facebook], variations: [typos, case]}}
  - {id: pickup, at: "T+1:00", article: {persona: newsroom, headline: "Scandale : la pub Maison Lenoir", text: "Polémique autour d'une publicité."}}
  - {id: f4, at: "T+1:15", fact: {playbook: bad_buzz, key: brand_at_fault, value: true, text: {fr: Faute avérée., en: Our fault.}}}
  - {id: f5, at: "T+1:15", fact: {playbook: bad_buzz, key: what_happened, value: "Une publicité a été publiée sans relecture.", text: {fr: Les faits., en: The facts.}}}
  - {id: f6, at: "T+2:00", fact: {playbook: bad_buzz, key: fix, value: "Chaque publicité est désormais relue par deux personnes.", text: {fr: Correction., en: Fix.}}}
  - {id: f7, at: "T+2:00", fact: {playbook: bad_buzz, key: gesture, value: "Nous reversons la recette du jour à une association.", text: {fr: Geste., en: Gesture.}}}
  - {id: wave2, at: "T+1d", wave: {count: 6000, over: 12h, peak: 4h, pool: mockery, platforms: [x, instagram], variations: [typos, emoji]}}
  - {id: call, at: "T+1d2h", message: {persona: journalist, channel: phone, text: "Un commentaire ?"}}
  - {id: wave3, at: "T+2d", wave: {count: 5000, over: 20h, peak: 5h, pool: mockery, platforms: [facebook, x], variations: [hashtags], hashtags: ["#MaisonLenoir"]}}
objectives:
  - {id: ack, title: {fr: Pris en compte, en: Acknowledged}, expect: {acknowledged: true, within: 15m}, weight: 40}
  - {id: holding, title: {fr: Déclaration, en: Statement}, expect: {published: {template: holding_statement}, within: 1h}, weight: 40}
  - {id: journalist, title: {fr: Journaliste, en: Journalist}, expect: {answered: {persona: journalist}, within: 30m, from: call}, weight: 20}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args().seed
    scenario = parse_scenario(SCENARIO, "bench_72h.yaml")
    play = load_play(ROOT / "drills" / "teams" / "diligent.yaml")
    start = simulation_start(scenario)
    mentions = background_mentions(scenario, scenario.background, seed=seed) if scenario.background else []
    for inject in scenario.injects:
        mentions += expand_inject(scenario, inject, seed=seed)
    with tempfile.TemporaryDirectory(prefix="crisis-bench-") as folder:
        stream = Path(folder) / "mentions.jsonl"
        with stream.open("w", encoding="utf-8") as out:
            for m in sorted(mentions, key=lambda m: (m.at, m.id)):
                out.write(json.dumps(m.as_record(start), ensure_ascii=False) + "\n")
        env = {**os.environ, "CRISIS_DATABASE_URL": f"sqlite:///{folder}/ingest.db", "CRISIS_NOW": start.isoformat(),
               "CRISIS_ALLOW_FIXED_CLOCK": "yes"}  # a bench replays at its own time, as a rehearsal
        began = time.perf_counter()
        result = CliRunner().invoke(app, ["ingest", str(stream), "--brand", "Maison Lenoir"], env=env)
        ingest_s = time.perf_counter() - began
        if result.exit_code != 0:
            sys.exit(f"crisis ingest failed: {result.output}")
        settings = load_settings(Path(folder))
        began = time.perf_counter()
        run = run_drill(scenario, play, seed=seed, settings=settings)
        drill_s = time.perf_counter() - began
    print(f"mentions: {len(mentions):,} over 72 h; the drill ingested {run.mentions:,}, scored {run.scorecard.score:g}/100, "
          f"{len(run.hashes)} timeline events")
    print(f"crisis ingest of the same mentions (reference): {ingest_s:6.2f} s")
    print(f"drill simulation, diligent team:               {drill_s:6.2f} s  (limit 10 s; {drill_s / ingest_s:.2f}× the ingest, limit 1.50×)")


if __name__ == "__main__":
    main()
