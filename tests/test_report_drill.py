"""The seam for drill after-action reports: a DrillReview value renders in the three formats, hostile text inert."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from crisis.errors import UsageError
from crisis.report.build import Marker, build_incident_report
from crisis.report.drill import DrillReview, ImprovementAction, ObjectiveRating
from crisis.report.records import EventRecord, IncidentInputs, IncidentRecord, VolumeBucket
from crisis.report.render import render_drill

T0 = datetime(2012, 1, 4, 11, tzinfo=timezone.utc)


def review() -> DrillReview:
    incident = IncidentRecord("INC-0007", "Exercice : photo du catalogue", "bad_buzz", "Bad buzz", "v1", "Acme", "x", "fr", "SEV1",
                              "crisis_cell", ("community_manager", "comms_lead", "crisis_cell"), "resolved", True, T0, "drill", "0" * 64)
    events = (EventRecord(1, T0, "drill", "opened", {"severity": "SEV2", "level": "comms_lead", "severity_why": "rule"}, "a" * 64, "0" * 64),)
    volume = tuple(VolumeBucket(T0 + timedelta(hours=h), "x", 10 * h, 3) for h in range(4))
    inputs = IncidentInputs(incident, events, volume, 70, T0, (), (), (), (), (), None)
    return DrillReview(
        scenario="Catalogue <img src=x onerror=alert(1)>", playbook_id="bad_buzz", run_at=T0, lang="fr",
        objectives=(ObjectiveRating("Prise en compte en 15 min", "P", "12 min"),
                    ObjectiveRating("Déclaration approuvée en 1 h", "U", "[voir](javascript:alert(2))")),
        strengths=("Cellule réunie vite",), improvements=("Déclaration trop tardive",),
        plan=(ImprovementAction("Pré-approuver une déclaration d'attente", "claire", date(2012, 2, 1)),),
        injects=(Marker(T0 + timedelta(minutes=48), "Un média spécialisé relaie"), Marker(T0 + timedelta(hours=2), "Le mot-dièse est en tendance")),
        incident=build_incident_report(inputs, now=T0 + timedelta(days=1)), score=62.5)


def test_markdown_after_action_report_escapes_and_lists_the_plan():
    text = render_drill(review(), "md")
    assert "# Rapport d'exercice\u202f: Catalogue &lt;img src=x onerror=alert(1)&gt;" in text
    assert "| Déclaration approuvée en 1 h | U\u202f: non réalisé | \\[voir\\](javascript:alert(2)) |" in text
    assert "**Note**\u202f: 62,5/100" in text
    assert "| Pré-approuver une déclaration d'attente | claire | 2012-02-01 |" in text
    assert "- [2] 2012-01-04 13:00 UTC Le mot-dièse est en tendance" in text


def test_html_after_action_report_marks_the_injects_on_the_chart():
    html = render_drill(review(), "html")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html)[1]).decode()
    assert "04/01 11:00 [1]" in svg and "04/01 13:00 [2]" in svg


def test_json_after_action_report_and_unknown_format():
    data = json.loads(render_drill(review(), "json"))
    assert [o["rating"] for o in data["objectives"]] == ["P", "U"] and data["score"] == 62.5
    assert data["incident"]["mention_count"] == 70 and data["incident"]["incident"]["is_drill"] is True
    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        render_drill(review(), "pdf")
