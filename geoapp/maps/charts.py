"""Small charts drawn from the data on the server (matplotlib, as SVG with real text): the zone
pages' activities over the year, member pipeline, plan progress, change between years and the
cooperative–enterprise network. Every chart is shown beside a table of the same numbers.

Words arrive translated and numbers arrive formatted by the caller; nothing here knows Flask.
"""
from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from geoapp.maps.static import _style, cjk_family

# ColorBrewer Set2: five kinds of activity, pipeline stages, years
SERIES_COLOURS = ("#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494")
PROGRESS_COLOUR, TARGET_COLOUR = "#2b8cbe", "#444444"
# Text sizes in points: a chart is drawn about 6.4 in wide and shown near that size, so these read
# as the page's own small text (not the 8 px they were at 7 pt in a scaled-down figure).
TITLE, LABEL, SMALL = 11, 9.5, 8.5


def _svg(figure) -> str:
    """The figure as an SVG element to put inline (text stays text: it reads and scales)."""
    out = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none"}):
        figure.savefig(out, format="svg", bbox_inches="tight", transparent=True)
    plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float):
    with plt.rc_context(_style(cjk_family())):
        figure, axes = plt.subplots(figsize=(width, height))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def stacked_bars(categories: Sequence[str], series: dict[str, Sequence[float]], title: str) -> str:
    """Bars for each category (e.g. month), stacked by series (e.g. kind of activity)."""
    with plt.rc_context(_style(cjk_family())):
        figure, axes = _figure(6.4, 2.6)
        bottom = [0.0] * len(categories)
        for colour, (label, values) in zip(SERIES_COLOURS, series.items()):
            axes.bar(categories, values, bottom=bottom, color=colour, label=label, width=0.7)
            bottom = [b + v for b, v in zip(bottom, values)]
        axes.set_title(title, loc="left", fontsize=TITLE)
        axes.legend(fontsize=LABEL, frameon=False, ncol=min(5, len(series)), loc="upper left",
                    bbox_to_anchor=(0, -0.12))
        axes.tick_params(labelsize=LABEL)
        axes.yaxis.get_major_locator().set_params(integer=True)
        return _svg(figure)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[float | None]], title: str,
                 hidden_label: str = "", number: Callable[[float], str] = "{:g}".format) -> str:
    """Horizontal bars for each category (e.g. pipeline stage), one per series (e.g. year); a
    value of None (a count too small to show) is drawn as a mark with `hidden_label`; the values
    written as `number` writes them (the caller's, so every chart and table agree)."""
    with plt.rc_context(_style(cjk_family())):
        figure, axes = _figure(6.4, 0.45 * len(categories) + 0.8)
        height = 0.8 / max(1, len(series))
        known = [v for values in series.values() for v in values if v is not None]
        top = max(known, default=1) or 1
        for s, (colour, (label, values)) in enumerate(zip(SERIES_COLOURS, series.items())):
            for c, value in enumerate(values):
                y = c + (s - (len(series) - 1) / 2) * height
                if value is None:
                    axes.text(0, y, f" {hidden_label}", va="center", fontsize=LABEL, color="#555")
                    continue
                axes.barh(y, value, height=height * 0.9, color=colour, label=label if c == 0 else None)
                axes.text(value + top * 0.01, y, number(value), va="center", fontsize=LABEL)
        axes.set_yticks(range(len(categories)), categories, fontsize=LABEL)
        axes.invert_yaxis()
        axes.set_xlim(0, top * 1.15)
        axes.set_title(title, loc="left", fontsize=TITLE)
        axes.legend(fontsize=LABEL, frameon=False, loc="lower right")
        axes.tick_params(axis="x", labelsize=LABEL)
        return _svg(figure)


def progress_bars(rows: Sequence[tuple[str, float | None, str]], title: str, hidden_label: str = "") -> str:
    """One bar per target: `(label, progress in %, words for the value)`, with the target line
    at 100 %; progress None (hidden or unknown) is written instead of drawn."""
    with plt.rc_context(_style(cjk_family())):
        figure, axes = _figure(6.4, 0.42 * len(rows) + 0.8)
        right = max([100.0] + [p for _l, p, _w in rows if p is not None])
        for y, (_label, progress, words) in enumerate(rows):
            if progress is None:
                axes.text(1, y, hidden_label, va="center", fontsize=LABEL, color="#555")
                continue
            axes.barh(y, max(0.0, progress), height=0.6, color=PROGRESS_COLOUR)
            axes.text(max(0.0, progress) + right * 0.01, y, words, va="center", fontsize=LABEL)
        axes.axvline(100, color=TARGET_COLOUR, linewidth=1, linestyle="--")
        axes.set_yticks(range(len(rows)), [label for label, _p, _w in rows], fontsize=LABEL)
        axes.invert_yaxis()
        axes.set_xlim(0, right * 1.35)
        axes.set_xlabel("%", fontsize=LABEL)
        axes.tick_params(axis="x", labelsize=LABEL)
        axes.set_title(title, loc="left", fontsize=TITLE)
        return _svg(figure)


def small_multiples(years: Sequence[str], panels: dict[str, Sequence[float]], words: dict[str, Sequence[str]],
                    title: str) -> str:
    """One small bar chart per indicator over the years, each on its own scale, the values
    written on the bars (`words`, formatted by the caller)."""
    count = max(1, len(panels))
    columns = min(4, count)
    rows = math.ceil(count / columns)
    with plt.rc_context(_style(cjk_family())):
        figure, grid = plt.subplots(rows, columns, figsize=(1.7 * columns, 1.7 * rows), squeeze=False)
        for axes in grid.flat[count:]:
            axes.set_visible(False)
        for axes, (label, values) in zip(grid.flat, panels.items()):
            axes.bar(years, values, color=SERIES_COLOURS[2:2 + len(values)], width=0.6)
            for x, (value, text) in enumerate(zip(values, words[label])):
                axes.text(x, value, text, ha="center", va="bottom", fontsize=SMALL)
            axes.set_title(label, fontsize=LABEL)
            axes.set_yticks([])
            axes.tick_params(axis="x", labelsize=LABEL)
            axes.set_ylim(0, max(values, default=1) * 1.25 or 1)
            for side in ("top", "right", "left"):
                axes.spines[side].set_visible(False)
        figure.suptitle(title, x=0.02, ha="left", fontsize=TITLE)
        figure.tight_layout()
        return _svg(figure)


def network(links: Sequence[tuple[str, Sequence[str]]], title: str) -> str:
    """Leading enterprises (left) joined to the cooperatives linked to them (right)."""
    right = [c for _e, cooperatives in links for c in cooperatives]
    height = max(len(links), len(right), 1)
    with plt.rc_context(_style(cjk_family())):
        figure, axes = plt.subplots(figsize=(6.4, 0.22 * height + 0.7))
        axes.axis("off")
        y_right = {i: height - 1 - i * (height - 1) / max(1, len(right) - 1) for i in range(len(right))}
        k = 0
        for e, (enterprise, cooperatives) in enumerate(links):
            y_left = height - 1 - (e + 0.5) * (height - 1) / max(1, len(links)) if len(links) > 1 else (height - 1) / 2
            axes.scatter([0], [y_left], s=60, color="#ffd92f", edgecolor="#000", zorder=3)
            axes.text(-0.03, y_left, enterprise, ha="right", va="center", fontsize=LABEL)
            for cooperative in cooperatives:
                axes.plot([0, 1], [y_left, y_right[k]], color="#999", linewidth=0.7, zorder=1)
                axes.scatter([1], [y_right[k]], s=18, color="#a6d854", edgecolor="#666", zorder=3)
                axes.text(1.03, y_right[k], cooperative, ha="left", va="center", fontsize=SMALL)
                k += 1
        axes.set_xlim(-0.9, 1.9)
        axes.set_ylim(-0.8, height - 0.2)
        axes.set_title(title, loc="left", fontsize=TITLE)
        return _svg(figure)
