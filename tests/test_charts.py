"""The chart geometry (app/charts.py): numbers in, coordinates out, worked out by hand on the
640 × 220 canvas with a 32 px margin (576 × 156 to draw in)."""

from app.charts import Bar, Dot, Rule, Tick, bar_chart, line_chart


def test_a_line_runs_from_the_left_margin_to_the_right_one_on_the_scale():
    chart = line_chart([0, 50, 100])
    # x: 32, 32 + 288, 32 + 576; y: 188 (zero), 188 - 78, 188 - 156
    assert chart.dots == [Dot(32.0, 188.0, 0), Dot(320.0, 110.0, 1), Dot(608.0, 32.0, 2)]
    assert chart.line == "32.0,188.0 320.0,110.0 608.0,32.0"


def test_a_missing_value_leaves_its_step_empty_and_keeps_the_others_indices():
    chart = line_chart([80, None, 60])
    assert [dot.index for dot in chart.dots] == [0, 2]
    assert chart.dots[1].x == 608.0


def test_the_grid_marks_the_scale_s_lines():
    chart = line_chart([90], grid=(0, 100))
    assert chart.grid == [Rule(188.0, 0), Rule(32.0, 100)]
    assert chart.dots == [Dot(32.0, 47.6, 0)]  # 188 - 0.9 × 156, at the left margin


def test_up_to_eight_steps_every_one_is_labelled_and_beyond_about_six():
    assert [t.index for t in line_chart([1] * 8).ticks] == list(range(8))
    nine = line_chart([1] * 9).ticks
    assert [t.index for t in nine] == [0, 1, 2, 3, 4, 5, 6, 7, 8]  # 9 // 6 = 1: every step
    thirty = line_chart([1] * 30).ticks
    assert [t.index for t in thirty] == [0, 5, 10, 15, 20, 25]
    assert thirty[1] == Tick(round(32 + 5 * 576 / 29, 1), 5)


def test_bars_share_the_width_and_the_tallest_fills_the_height():
    chart = bar_chart([2, 4])
    # each slot 288 wide, bars inset 4 px on each side; 4 is the largest: full 156 px
    assert chart.bars == [Bar(36.0, 280.0, 78.0, 0), Bar(324.0, 280.0, 156.0, 1)]
    assert chart.base == 188


def test_no_counts_or_only_zeros_draw_no_height():
    assert bar_chart([]).bars == []
    assert [bar.height for bar in bar_chart([0, 0]).bars] == [0.0, 0.0]
