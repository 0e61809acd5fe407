"""The report's charts, drawn by pygal as SVG with its script removed, ready to inline as a data: image."""

from __future__ import annotations

import base64
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from crisis.errors import CrisisError

HOUR = timedelta(hours=1)
MAX_BARS = 14 * 24  # past two weeks of hours, bars are days


def _pygal():
    try:
        import pygal
    except ImportError:  # pragma: no cover - pygal is a dependency; a broken install gets a clear message
        raise CrisisError("the HTML report draws its chart with pygal, which is not installed",
                          hint="pip install 'pygal>=3' (or use --format md, which needs no chart library)") from None
    return pygal


def volume_chart(buckets: Sequence, markers: Sequence, *, negative: str, other: str, title: str, spikes: Sequence = (),
                 baseline_label: str = "baseline {value}/h") -> str | None:
    """Stacked bars of mentions per hour (per platform, negative apart); numbered marks under the key hours; the
    baseline of each spike as a labelled guide line. A data: URI of the SVG, or None when there are no mentions."""
    if not buckets:
        return None
    pygal = _pygal()
    first = min(b.hour_at for b in buckets)
    last = max([b.hour_at for b in buckets] + [m.at.replace(minute=0, second=0, microsecond=0) for m in markers if m.at >= first])
    step = HOUR if (last - first) / HOUR < MAX_BARS else 24 * HOUR
    slots = int((last - first) / step) + 1
    series: dict[str, list[int]] = defaultdict(lambda: [0] * slots)
    for b in buckets:
        i = int((b.hour_at - first) / step)
        if b.negative:
            series[f"{b.platform} ({negative})"][i] += b.negative
        if b.other:
            series[f"{b.platform} ({other})"][i] += b.other
    labels = [_slot_label(first + i * step, step) for i in range(slots)]
    for n, marker in enumerate(markers, start=1):
        i = int((marker.at.replace(minute=0, second=0, microsecond=0) - first) / step)
        if 0 <= i < slots:
            labels[i] += f" [{n}]"
    chart = pygal.StackedBar(title=title, x_label_rotation=60, show_minor_x_labels=slots <= 48, js=[], width=900, height=420,
                             legend_at_bottom=True, truncate_legend=40, style=pygal.style.CleanStyle)
    chart.x_labels = labels
    every = max(1, slots // 12)  # about a dozen time references, plus every marked hour
    chart.x_labels_major = [label for i, label in enumerate(labels) if "[" in label or i % every == 0]
    for name in sorted(series):
        chart.add(name, series[name])
    baselines = sorted({s.baseline for s in spikes if s.baseline is not None})
    if baselines:  # guides replace pygal's own y labels, so the ticks are given too
        top = max(sum(column) for column in zip(*series.values()))
        tick = max(1, math.ceil(top / 8))
        chart.y_labels = [*range(0, top + tick, tick), *({"label": baseline_label.format(value=b), "value": b} for b in baselines)]
    return _data_uri(chart)


def weekly_chart(weeks: Sequence[tuple[str, int]], *, title: str) -> str | None:
    """Bars of incidents per week; a data: URI of the SVG, or None without weeks."""
    if not weeks:
        return None
    pygal = _pygal()
    chart = pygal.Bar(title=title, js=[], width=800, height=320, show_legend=False, x_label_rotation=45, style=pygal.style.CleanStyle)
    chart.x_labels = [week for week, _ in weeks]
    chart.add(title, [count for _, count in weeks])
    return _data_uri(chart)


def _slot_label(at: datetime, step: timedelta) -> str:
    return at.strftime("%d/%m %H:00") if step == HOUR else at.strftime("%d/%m")


def _data_uri(chart) -> str:
    """The SVG without pygal's script (an <img> would not run it anyway) nor its dated comments, base64 in a data: URI.
    The chart's id is fixed, so the same report renders the same bytes."""
    from pygal.etree import etree

    chart.uuid = "report"
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag is etree.Comment or str(child.tag).endswith("script"):
                parent.remove(child)
    svg = etree.tostring(tree, encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
