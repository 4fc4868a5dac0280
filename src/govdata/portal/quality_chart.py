"""The score history of a resource as a server-side SVG line chart (no script).

Scores are 0-1; the y axis runs from the lowest score shown (rounded down to a
tenth, at most 0.9) to 1, so that small drops stay visible. One point per run,
evenly spaced in run order (runs are irregular in time; their dates are in the
point titles and under the first and last points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from govdata.quality.schemas import HistoryPoint

WIDTH = 640
HEIGHT = 220
LEFT = 48
RIGHT = 16
TOP = 16
BOTTOM = 36


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    score: float
    label: str  # run time, for the title
    run_id: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class ScoreChart:
    width: int
    height: int
    left: int
    right: float
    top: int
    bottom: float
    points: list[ChartPoint] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    first_label: str = ""
    last_label: str = ""

    @property
    def path(self) -> str:
        """The polyline's points attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def score_chart(history: list[HistoryPoint]) -> ScoreChart | None:
    """The chart of the runs that have a score (oldest first), or None without any."""
    scored = [(point, point.score) for point in history if point.score is not None]
    if not scored:
        return None
    right = WIDTH - RIGHT
    bottom = HEIGHT - BOTTOM
    low = min(0.9, math.floor(min(score for _, score in scored) * 10) / 10)
    span = 1.0 - low

    def y_of(score: float) -> float:
        return bottom - (score - low) / span * (bottom - TOP)

    step = (right - LEFT) / (len(scored) - 1) if len(scored) > 1 else 0.0
    points = [
        ChartPoint(
            x=LEFT + index * step if len(scored) > 1 else (LEFT + right) / 2,
            y=y_of(score),
            score=score,
            label=_when(point.finished_at),
            run_id=point.run_id,
        )
        for index, (point, score) in enumerate(scored)
    ]
    ticks = [
        Tick(y=y_of(low + span * i / 4), label=f"{(low + span * i / 4) * 100:.1f}")
        for i in range(5)
    ]
    return ScoreChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=right,
        top=TOP,
        bottom=bottom,
        points=points,
        ticks=ticks,
        first_label=points[0].label,
        last_label=points[-1].label if len(points) > 1 else "",
    )
