"""The window's plots and what they draw from: buffers, the moving average, one decimation, the
theme. Each plot is made once and redrawn from the window's frame timer when it is `dirty`."""

from gui.plots.curves import (
    CurveBuffer,
    DecimatedCurve,
    EmaState,
    ema,
    smoothing_alpha,
    visible_points,
)
from gui.plots.epoch_plot import EpochPlot
from gui.plots.step_plot import LogAxis, LogStepPlot, StepLossPlot
from gui.plots.theme import (
    COLORS,
    DASHES,
    PALETTE,
    RAW_ALPHA,
    add_legend,
    dots,
    dress,
    legend_only_with_room,
    place_legend,
    retitle,
    run_style,
    set_title,
    themed,
)

__all__ = [
    "COLORS",
    "DASHES",
    "PALETTE",
    "RAW_ALPHA",
    "CurveBuffer",
    "DecimatedCurve",
    "EmaState",
    "EpochPlot",
    "LogAxis",
    "LogStepPlot",
    "StepLossPlot",
    "add_legend",
    "dots",
    "dress",
    "legend_only_with_room",
    "ema",
    "place_legend",
    "retitle",
    "run_style",
    "set_title",
    "smoothing_alpha",
    "themed",
    "visible_points",
]
