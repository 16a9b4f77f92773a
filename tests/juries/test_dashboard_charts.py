"""The dashboard's SVG charts: proportions, figures written on the bars, escaping, access."""

import re

from juries.dashboard import charts


def bars_of(svg: str) -> list[float]:
    return [
        float(w)
        for w in re.findall(
            r'<rect class="cqp-chart__bar[^"]*" x="[\d.]+" y="\d+" width="([\d.]+)"', svg
        )
    ]


def test_it_draws_bars_in_proportion_with_their_figures():
    svg = charts.bar_chart(chart_id="c", title="Dossiers", bars=[("A", 10), ("B", 5), ("C", 0)])

    assert bars_of(svg) == [charts.BAR_AREA, charts.BAR_AREA / 2, 0]
    assert re.findall(r'class="cqp-chart__value"[^>]*>([^<]*)<', svg) == ["10", "5", "0"]


def test_it_is_an_image_named_by_its_title_and_description():
    svg = charts.bar_chart(
        chart_id="states", title="Dossiers by state", description="See the table.", bars=[]
    )

    assert svg.startswith('<svg class="cqp-chart"')
    assert 'role="img" aria-labelledby="states-title states-desc"' in svg
    assert '<title id="states-title">Dossiers by state</title>' in svg
    assert '<desc id="states-desc">See the table.</desc>' in svg
    assert "style" not in svg


def test_it_escapes_labels_and_shortens_long_ones():
    label = "<script>alert(1)</script> un intitulé de CQP bien trop long"
    svg = charts.bar_chart(chart_id="c", title='A "title" & more', bars=[(label, 3)])

    assert "<script>" not in svg
    assert ">&lt;script&gt;alert(1)&lt;/script&gt; u…</text>" in svg  # 28 characters shown
    assert f"<title>{label.replace('<', '&lt;').replace('>', '&gt;')}: 3</title>" in svg
    assert "A &quot;title&quot; &amp; more" in svg


def test_all_zero_bars_draw_nothing_and_do_not_divide_by_zero():
    svg = charts.bar_chart(chart_id="c", title="t", bars=[("A", 0), ("B", 0)])

    assert bars_of(svg) == [0, 0]


def test_decimal_figures_are_written_in_the_readers_format(settings):
    from django.utils import translation

    with translation.override("fr"):
        svg = charts.bar_chart(chart_id="c", title="t", bars=[("2024", 65.5)])

    assert ">65,5</text>" in svg
    assert f'width="{charts.BAR_AREA}"' in svg  # coordinates keep their decimal point


def test_a_stacked_bar_splits_into_segments_with_a_legend():
    svg = charts.stacked_bar_chart(
        chart_id="o",
        title="Decisions",
        series=[("certified", "Certified"), ("partially_validated", "Partial")],
        bars=[("2023", (30, 10)), ("2024", (1, 0))],
    )

    assert bars_of(svg)[:4] == [
        charts.BAR_AREA * 30 / 40,
        charts.BAR_AREA * 10 / 40,
        charts.BAR_AREA * 1 / 40,
        0,
    ]
    # Wide segments show their figure; the narrow one only in its tooltip (and the table).
    assert re.findall(r'class="cqp-chart__inside"[^>]*>([^<]*)<', svg) == ["30", "10"]
    assert re.findall(r'class="cqp-chart__value"[^>]*>([^<]*)<', svg) == ["40", "1"]
    assert "<title>Certified: 1</title>" in svg
    legend = svg.split('<g class="cqp-chart__legend">')[1]
    assert "cqp-chart__bar--certified" in legend and ">Partial</text>" in legend
