"""The Benchmark tab's report figures written without holding up the window: each figure's
SVG made on the GUI thread, its PNG rendered and both files written on a worker thread; the
files are the same as the CLI's, and a folder that cannot be written ends it with a message."""

from __future__ import annotations

from PySide6.QtGui import QImage

from gui.exports import PNG_SCALE
from gui.report_figures import SIZE, FigureWriter, draw_figure
from trainers.errors import TrainingError
from trainers.report import Figure, Series


def figures(count: int = 3) -> list[Figure]:
    return [
        Figure(
            f"figure_{i}",
            f"Figure {i}",
            "epoch",
            "loss",
            [
                Series(
                    "Adam", [1, 2, 3], [1.0, 0.5 + i / 10, 0.25], [0.9, 0.4, 0.2], [1.1, 0.6, 0.3]
                )
            ],
        )
        for i in range(count)
    ]


def test_every_figure_is_written_as_the_cli_writes_it(qtbot, tmp_path):
    made = figures()
    writer = FigureWriter(made, tmp_path / "plots")
    progress = []
    writer.sig_progress.connect(lambda done, total: progress.append((done, total)))
    with qtbot.waitSignal(writer.sig_done, timeout=60_000) as done:
        writer.start()
    written = done.args[0]
    assert sorted(written) == [f.name for f in made]
    assert progress == [(1, 3), (2, 3), (3, 3)]
    for figure in made:
        png, svg = written[figure.name]
        image = QImage(str(png))
        assert (image.width(), image.height()) == (SIZE[0] * PNG_SCALE, SIZE[1] * PNG_SCALE)
        assert f"Figure {figure.name[-1]}" in svg.read_text(encoding="utf-8")
        # The same files as the CLI's drawer makes of the same figure.
        cli_png, cli_svg = draw_figure(figure, tmp_path / "cli")
        assert cli_svg.read_bytes() == svg.read_bytes()
        assert cli_png.read_bytes() == png.read_bytes()


def test_a_folder_that_cannot_be_written_ends_it_with_a_message(qtbot, tmp_path):
    blocked = tmp_path / "plots"
    blocked.write_text("a file where the folder would go")
    writer = FigureWriter(figures(), blocked)
    with qtbot.waitSignal(writer.sig_done, timeout=60_000) as done:
        writer.start()
    (error,) = done.args
    assert isinstance(error, TrainingError)
    assert "Cannot write the figure" in str(error) and str(blocked) in str(error)


def test_no_figures_is_done_at_once(qtbot, tmp_path):
    writer = FigureWriter([], tmp_path)
    with qtbot.waitSignal(writer.sig_done, timeout=5_000) as done:
        writer.start()
    assert done.args == [{}]


def test_an_error_that_arrives_while_a_figure_is_drawn_stops_it_cleanly(
    qtbot, tmp_path, monkeypatch
):
    """Drawing a figure lets the event loop run; the first write's error arriving then (as
    it may on a slow disk) ends the job with the message, and nothing is submitted after."""
    import gui.report_figures as report_figures

    blocked = tmp_path / "plots"
    blocked.write_text("a file where the folder would go")
    writer = FigureWriter(figures(), blocked)
    real = report_figures.figure_svg
    drawn = []

    def drawn_while_the_error_arrives(figure):
        made = real(figure)
        drawn.append(figure.name)
        if len(drawn) == 2:  # the first figure's write fails while the second is drawn
            qtbot.waitUntil(lambda: writer._failed, timeout=30_000)
        return made

    monkeypatch.setattr(report_figures, "figure_svg", drawn_while_the_error_arrives)
    with qtbot.waitSignal(writer.sig_done, timeout=60_000) as done:
        writer.start()
    (error,) = done.args
    assert isinstance(error, TrainingError) and str(blocked) in str(error)
    qtbot.wait(50)  # a stray turn of _next would raise in the event loop here
    assert drawn == ["figure_0", "figure_1"]


def test_the_legend_sits_in_the_corner_the_figure_asks_for(qtbot):
    """A range test's or sensitivity's curve rises at the right: its legend goes top left."""
    import dataclasses

    from PySide6.QtWidgets import QApplication

    from gui.report_figures import figure_widget

    for corner, left in (("top-left", True), ("top-right", False)):
        widget = figure_widget(dataclasses.replace(figures(1)[0], legend=corner))
        qtbot.addWidget(widget)
        widget.show()
        QApplication.processEvents()
        plot = widget.getPlotItem()
        legend = plot.legend.sceneBoundingRect()
        view = plot.getViewBox().sceneBoundingRect()
        assert (legend.center().x() < view.center().x()) is left, corner
        assert legend.top() < view.center().y()  # at the top either way
