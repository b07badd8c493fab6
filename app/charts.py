"""The geometry of the SVG charts pages draw: numbers in, coordinates out.

Each function takes plain numbers and returns where the template puts its lines, dots and
bars, on a fixed canvas the browser scales. A point or a bar keeps the index of the value it
draws, so the template labels it from the list it passed in. No area is imported here: any
area's page may draw a chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

WIDTH, HEIGHT, PAD = 640, 220, 32


class Dot(NamedTuple):
    """One value on a line chart, and which value it is."""

    x: float
    y: float
    index: int


class Rule(NamedTuple):
    """A horizontal grid line at a value of the scale."""

    y: float
    value: float


class Tick(NamedTuple):
    """A label under the x axis, for the value at `index`."""

    x: float
    index: int


class Bar(NamedTuple):
    """One bar, standing on the chart's base line."""

    x: float
    width: float
    height: float
    index: int


@dataclass(frozen=True)
class LineChart:
    """A line through the values that have one, over grid lines of the scale."""

    dots: list[Dot]
    grid: list[Rule]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def line(self) -> str:
        """The dots as an SVG polyline's points."""
        return " ".join(f"{dot.x},{dot.y}" for dot in self.dots)


@dataclass(frozen=True)
class BarChart:
    """Bars side by side, the tallest filling the chart."""

    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def base(self) -> int:
        """Where the bars stand."""
        return self.height - self.pad


def line_chart(values: Sequence[float | None], top: float = 100,
               grid: Sequence[float] = (0, 60, 80, 100), labels: int = 6) -> LineChart:
    """Values on a scale from 0 to `top`, one per step along x; a missing value (None) leaves
    its step empty. Every step is labelled up to eight; more get about `labels` labels."""
    steps = len(values)
    step = (WIDTH - 2 * PAD) / max(1, steps - 1)

    def x(i: int) -> float:
        return round(PAD + i * step, 1)

    def y(value: float) -> float:
        return round(HEIGHT - PAD - value / top * (HEIGHT - 2 * PAD), 1)

    every = max(1, steps // labels)
    return LineChart(
        dots=[Dot(x(i), y(v), i) for i, v in enumerate(values) if v is not None],
        grid=[Rule(y(v), v) for v in grid],
        ticks=[Tick(x(i), i) for i in range(steps) if steps <= 8 or i % every == 0])


def bar_chart(counts: Sequence[int]) -> BarChart:
    """One bar per count, side by side, as tall as the count against the largest."""
    top = max(counts, default=0) or 1
    width = (WIDTH - 2 * PAD) / max(1, len(counts))
    return BarChart(bars=[Bar(round(PAD + i * width + 4, 1), round(width - 8, 1),
                              round((HEIGHT - 2 * PAD) * n / top, 1), i)
                          for i, n in enumerate(counts)])
