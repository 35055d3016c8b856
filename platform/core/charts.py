"""Bar charts drawn on the server as SVG: no JavaScript, readable on paper.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (every bar's label and figure, in words: the text alternative), with the
same figures as a table in a ``<details>`` below it for those who prefer a table.
Bars are hatched and outlined in black and carry their figure as text beside them, so
a black-and-white printout reads as well as the screen.

Coordinates are percentages of the drawing's width (no ``viewBox``): the text keeps its
size on a phone, and only the bars get shorter.

In a template: ``{{ chart }}`` (a :class:`BarChart` renders itself).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from core import formats

#: Where the bars start and how wide the longest one is (percent of the width); the
#: rest on the right holds the longest bar's figure.
LABEL_WIDTH = 34
BAR_WIDTH = 44
ROW_HEIGHT = 26
BAR_HEIGHT = 18
LABEL_CHARACTERS = 10


@dataclass(frozen=True)
class Bar:
    label: str
    short_label: str
    value: int
    text: str
    #: Percent of the drawing's width.
    width: float
    y: int

    @property
    def text_x(self) -> float:
        return round(LABEL_WIDTH + self.width + 1, 2)

    @property
    def baseline(self) -> int:
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    column: str
    value_label: str
    bars: list[Bar]

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT + 6

    @property
    def description(self) -> str:
        if not self.bars:
            return gettext("No figures.")
        return "、".join(f"{bar.label}: {bar.text}" for bar in self.bars)

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    def __html__(self) -> str:
        return render_to_string("core/charts/bar.html", {"chart": self})

    def __str__(self) -> str:
        return SafeString(self.__html__())


def bar_chart(
    *,
    key: str,
    title: str,
    rows: Iterable[tuple[str, int]],
    column: str,
    value_label: str,
    display: Callable[[int], str] = formats.number,
) -> BarChart:
    """A horizontal bar chart of ``rows`` (``(label, value)``, drawn in that order).

    ``key`` makes the ids of its title and description unique on the page; ``column``
    and ``value_label`` head the table's two columns; ``display`` writes a figure
    (``formats.yen``, ``formats.points`` …)."""
    rows = [(str(label), int(value or 0)) for label, value in rows]
    top = max((value for _, value in rows), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(rows):
        short = label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
        bars.append(
            Bar(
                label=label,
                short_label=short,
                value=value,
                text=display(value),
                width=round(BAR_WIDTH * max(value, 0) / top, 2),
                y=4 + index * ROW_HEIGHT,
            )
        )
    return BarChart(
        key=key, title=str(title), column=str(column), value_label=str(value_label), bars=bars
    )
