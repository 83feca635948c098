"""A plot title wider than its plot is broken onto lines that fit, never cut at both ends
(the Runs and Compare tabs at 1024x700 showed "Loss by epoch (vali")."""

import pyqtgraph as pg
from PySide6.QtGui import QFontMetricsF

from gui.plots import theme

TITLE = "Loss by epoch (validation dashed)"


def shown_lines(plot):
    label = plot.getPlotItem().titleLabel
    return label.text.split("<br>"), QFontMetricsF(theme._title_font(label))


def test_a_long_title_wraps_to_the_plot_width_and_unwraps_when_wide(qtbot):
    plot = theme.dress(pg.PlotWidget(), "p", TITLE, "epoch", "loss", strong_title=True)
    qtbot.addWidget(plot)
    plot.resize(220, 300)
    plot.show()
    qtbot.waitExposed(plot)
    lines, metrics = shown_lines(plot)
    assert len(lines) >= 2 and " ".join(lines) == TITLE
    room = plot.getPlotItem().getViewBox().width()  # the title's column, above the view box
    assert all(metrics.horizontalAdvance(line) <= room for line in lines)
    row = plot.getPlotItem().layout.rowMaximumHeight(0)
    assert row >= len(lines) * metrics.height()  # the row holds every line
    plot.resize(900, 300)
    qtbot.wait(20)
    assert shown_lines(plot)[0] == [TITLE]
