"""One chart style for the app and its HTML reports: the same colours, fonts and margins in both.

Streamlit sets Plotly's default template to its own, which carries no colours, so a figure exported
to HTML came out black-and-white. ``usecases.core.report.TEMPLATE`` (Streamlit's palette on a white
background, axes that make room for their labels) is made the default when this module is imported.
"""

from __future__ import annotations

import plotly.io as pio

from usecases.core.report import COLORS, TEMPLATE_NAME, register_template

register_template()
pio.templates.default = TEMPLATE_NAME

BLUE, LIGHT_BLUE, RED, PINK, TEAL, GREEN, ORANGE, YELLOW, PURPLE, GREY = COLORS
COLORS = COLORS


def style(fig, *, title: str | None = None, height: int = 340, **layout):
    """Apply the shared look (template, margins that fit the labels, legend below) and return ``fig``."""
    fig.update_layout(template=TEMPLATE_NAME, height=height, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
                      legend=dict(orientation="h", y=-0.2), **({"title": title} if title else {}), **layout)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def plain_label(text) -> str:
    """A label from a user's file as Plotly should draw it: Plotly reads <b>, <i>, <br> and <a href> in text and tick labels, so
    a title "<b>bold</b>" had been drawn bold in the Similar-items chart (a sweep, 2026-12-07); the angle brackets are drawn
    as look-alikes instead, never as markup. Anything but text (a missing genre) is returned as it is."""
    return text.replace("<", "‹").replace(">", "›") if isinstance(text, str) else text


def money_ticks(span: float) -> str:
    """One d3 tick format for a money axis of this span: Plotly's own switches mid-axis ("−6000 €" beside "−20k €")."""
    return "~s" if span >= 1e6 else ",.0f" if span >= 10 else ",.2f"
