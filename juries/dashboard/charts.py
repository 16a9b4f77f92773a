"""Charts drawn on the server as SVG: no script, no style attribute (colours come from CSS
classes in static/admin-cqp/dashboard.css), every figure written next to its bar.

Each chart is one <svg role="img"> named by its <title> and <desc> (aria-labelledby); the
table right below it gives the same figures to screen readers and in print.
"""

from collections.abc import Callable, Sequence

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
LABEL_WIDTH = 230  # room for the labels, left of the bars
VALUE_ROOM = 70  # room for the figure written after the longest bar
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_ROOM
ROW_HEIGHT = 28
BAR_HEIGHT = 18
PADDING = 8
LEGEND_HEIGHT = 28
LEGEND_CHAR_WIDTH = 7.5  # a generous average at the chart's font size
LABEL_CHARS = 28  # about 200 pixels at the chart's font size
MIN_SEGMENT_FOR_FIGURE = 26  # a segment narrower than this shows its figure in the table only


def _short(label: str) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value) -> str:
    return number_format(value, decimal_pos=1 if isinstance(value, float) else None)


def _px(value: float) -> str:
    """A coordinate, in the SVG's own (not the reader's) number format."""
    return f"{value:.1f}".removesuffix(".0")


def _frame(chart_id: str, title: str, description: str, height: int, body: SafeString):
    return format_html(
        '<svg class="cqp-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" '
        'width="{}" height="{}" role="img" aria-labelledby="{}-title {}-desc" '
        'preserveAspectRatio="xMinYMin meet">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        height,
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        body,
    )


def _row_label(y: float, label: str) -> SafeString:
    return format_html(
        '<text class="cqp-chart__label" x="{}" y="{}" text-anchor="end" '
        'dominant-baseline="middle">{}</text>',
        LABEL_WIDTH - 8,
        _px(y + BAR_HEIGHT / 2),
        _short(label),
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    bars: Sequence[tuple[str, float]],
    description: str = "",
    format_value: Callable[[float], str] = _number,
) -> SafeString:
    """Horizontal bars, one per (label, value), with the value written after each bar."""
    top = max((value or 0 for _label, value in bars), default=0)
    rows = []
    for index, (label, value) in enumerate(bars):
        y = PADDING + index * ROW_HEIGHT
        width = BAR_AREA * (value or 0) / top if top else 0
        rows.append(
            format_html(
                '<g class="cqp-chart__row"><title>{}: {}</title>{}'
                '<rect class="cqp-chart__bar" x="{}" y="{}" width="{}" height="{}"></rect>'
                '<text class="cqp-chart__value" x="{}" y="{}" dominant-baseline="middle">{}'
                "</text></g>",
                label,
                format_value(value),
                _row_label(y, label),
                LABEL_WIDTH,
                y,
                _px(width),
                BAR_HEIGHT,
                _px(LABEL_WIDTH + width + 6),
                _px(y + BAR_HEIGHT / 2),
                format_value(value),
            )
        )
    height = 2 * PADDING + len(bars) * ROW_HEIGHT
    body = format_html_join("", "{}", ((row,) for row in rows))
    return _frame(chart_id, title, description, height, body)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    series: Sequence[tuple[str, str]],
    bars: Sequence[tuple[str, Sequence[int]]],
    description: str = "",
) -> SafeString:
    """Horizontal bars split into segments, one per series (css key, label), with a legend.

    Each bar is (label, one value per series); its total is written after it, and each
    segment wide enough shows its own figure.
    """
    top = max((sum(values) for _label, values in bars), default=0)
    rows = []
    for index, (label, values) in enumerate(bars):
        y = PADDING + index * ROW_HEIGHT
        x = float(LABEL_WIDTH)
        segments = []
        for (key, series_label), value in zip(series, values, strict=True):
            width = BAR_AREA * value / top if top else 0
            segments.append(
                format_html(
                    '<rect class="cqp-chart__bar cqp-chart__bar--{}" x="{}" y="{}" width="{}" '
                    'height="{}"><title>{}: {}</title></rect>',
                    key,
                    _px(x),
                    y,
                    _px(width),
                    BAR_HEIGHT,
                    series_label,
                    _number(value),
                )
            )
            if value and width >= MIN_SEGMENT_FOR_FIGURE:
                segments.append(
                    format_html(
                        '<text class="cqp-chart__inside" x="{}" y="{}" text-anchor="middle" '
                        'dominant-baseline="middle">{}</text>',
                        _px(x + width / 2),
                        _px(y + BAR_HEIGHT / 2),
                        _number(value),
                    )
                )
            x += width
        rows.append(
            format_html(
                '<g class="cqp-chart__row">{}{}<text class="cqp-chart__value" x="{}" y="{}" '
                'dominant-baseline="middle">{}</text></g>',
                _row_label(y, label),
                format_html_join("", "{}", ((segment,) for segment in segments)),
                _px(x + 6),
                _px(y + BAR_HEIGHT / 2),
                _number(sum(values)),
            )
        )
    legend_y = 2 * PADDING + len(bars) * ROW_HEIGHT
    legend = _legend(series, legend_y)
    height = legend_y + LEGEND_HEIGHT
    body = format_html("{}{}", format_html_join("", "{}", ((row,) for row in rows)), legend)
    return _frame(chart_id, title, description, height, body)


def _legend(series: Sequence[tuple[str, str]], y: int) -> SafeString:
    """One swatch and label per series, in a row under the bars (spaced by label length)."""
    items, x = [], 8.0
    for key, label in series:
        items.append((key, _px(x), y, _px(x + 20), y + 7, label))
        x += 20 + LEGEND_CHAR_WIDTH * len(str(label)) + 24
    return format_html(
        '<g class="cqp-chart__legend">{}</g>',
        format_html_join(
            "",
            '<rect class="cqp-chart__bar cqp-chart__bar--{}" x="{}" y="{}" width="14" '
            'height="14"></rect><text class="cqp-chart__label" x="{}" y="{}" '
            'dominant-baseline="middle">{}</text>',
            items,
        ),
    )
