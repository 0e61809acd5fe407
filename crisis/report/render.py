"""Reports as Markdown, self-contained HTML and JSON (the only other importer of jinja2).

Every text that came from outside goes through `md` (Markdown) or autoescaping (HTML), so a
hostile mention renders as inert text.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2

from crisis.errors import UsageError
from crisis.playbook.durations import format_duration
from crisis.report.labels import labels

FORMATS = ("md", "html", "json")
TEMPLATES = Path(__file__).parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links and images, table cells, strikethrough
_MD_BLANKS = re.compile(r"[\t\n\v\f\r ]+")  # Markdown's whitespace, not Unicode's
_MD_LEADING = re.compile(r"^(\d*)([#>+=.)-])")  # a heading, quote, list or rule only where a line starts


def escape_md(value: Any) -> str:
    """Text safe inside Markdown: HTML as entities, the punctuation of emphasis, links and tables backslashed,
    a leading heading or list mark too, on one line.

    >>> print(escape_md('<img src=x onerror=alert(1)> [a](javascript:x)'))
    &lt;img src=x onerror=alert(1)&gt; \\[a\\](javascript:x)
    >>> print(escape_md('# not a *heading*'), escape_md('1. not a list'))
    \\# not a \\*heading\\* 1\\. not a list
    """
    text = _MD_BLANKS.sub(" ", "" if value is None else str(value)).strip(" ")  # one line; a narrow no-break space stays
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_LEADING.sub(r"\1\\\2", text)


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=lambda name: bool(name and name.endswith(".html.j2")), trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(md=escape_md, when=_when, span=_span, num=_num)
    return env


_ENV: jinja2.Environment | None = None


def render_template(name: str, **values: Any) -> str:
    """Render one report template; a template bug is ours, so jinja's errors keep their traceback."""
    global _ENV
    _ENV = _ENV or _env()
    return _ENV.get_template(name).render(**values)


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _span(seconds: int | None, lang: str = "en") -> str:
    if seconds is None:
        return "—"
    text = format_duration(timedelta(seconds=abs(seconds)))
    if lang == "fr":  # 1h30m → 1 h 30 min, 2d4h → 2 j 4 h
        text = re.sub(r"(\d+)([dhm])", lambda m: f"{m[1]}\u00a0{ {'d': 'j', 'h': 'h', 'm': 'min'}[m[2]] } ", text).strip()
    return ("-" if seconds < 0 else "") + text


def _num(value: int | float | None, lang: str = "en") -> str:
    if value is None:
        return "—"
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def render_incident(report: Any, fmt: str) -> str:
    """The incident report in `fmt` (md, html, json). Raises UsageError for another format, CrisisError without pygal (html)."""
    from crisis.report.build import report_dict

    if fmt == "json":
        return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"
    t = labels(report.lang)
    chart = None
    if fmt == "html":
        from crisis.report.chart import volume_chart

        chart = volume_chart(report.volume, report.markers, negative=t["negative"], other=t["other"], title=t["volume"],
                             spikes=report.spikes, baseline_label=t["baseline"])
    return render_template(_template("incident", fmt), r=report, t=t, lang=report.lang, chart=chart)


def render_period(review: Any, fmt: str) -> str:
    """The period review in `fmt`. Raises UsageError for another format."""
    from crisis.report.period import period_dict

    if fmt == "json":
        return json.dumps(period_dict(review), ensure_ascii=False, indent=2) + "\n"
    t = labels(review.lang)
    chart = None
    if fmt == "html":
        from crisis.report.chart import weekly_chart

        chart = weekly_chart(review.weeks, title=t.get("per_week", "Incidents per week"))
    return render_template(_template("period", fmt), p=review, t=t, lang=review.lang, chart=chart)


def render_drill(review: Any, fmt: str) -> str:
    """A drill's after-action report (a `crisis.report.drill.DrillReview`): objectives with ratings, strengths, areas
    for improvement, the improvement plan, and the injects on the volume chart. Raises UsageError for another format."""
    from crisis.report.drill import drill_dict

    template = _template("drill", fmt)
    if fmt == "json":
        return json.dumps(drill_dict(review), ensure_ascii=False, indent=2) + "\n"
    t = labels(review.lang)
    chart = None
    if fmt == "html" and review.incident is not None:
        from crisis.report.chart import volume_chart

        chart = volume_chart(review.incident.volume, review.injects, negative=t["negative"], other=t["other"], title=t["volume"])
    return render_template(template, d=review, t=t, lang=review.lang, chart=chart)


def _template(kind: str, fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    return f"{kind}.{fmt}.j2"
