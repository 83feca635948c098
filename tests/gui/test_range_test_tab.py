"""The Learning rate tab with the real window and worker: each seed's smoothed loss is drawn
as the test trains, at the end the median and its band with each rule's suggestion at the
rate the engine found, "Use this rate" fills the side panel, the model is untouched, and bad
ranges say what to use."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from trainers import lr_find

RUN_TIMEOUT = 120_000


def test_the_range_test_draws_live_then_its_suggestions_and_fills_the_form(qtbot, window):
    from PySide6.QtWidgets import QApplication

    window.select_dataset("moons")
    view = window.range_view
    window.view_tabs.setCurrentWidget(view)
    view.steps_spin.setValue(60)
    view.seeds_spin.setValue(2)
    live = []

    def keep_live(_events):  # after the view's own slot: it has drawn by now
        if view.job is not None and view._curves:
            live.append([(c.xData.copy(), c.yData.copy()) for c in view._curves])

    window.worker.sig_events.connect(keep_live)
    with qtbot.waitSignal(view.sig_test_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(view.findChild(QPushButton, "runRangeTest"), Qt.MouseButton.LeftButton)
        assert not window.controls.train_button.isEnabled()  # the worker is the test's
    test = blocker.args[0]
    assert test is not None and test.seeds == [0, 1]
    assert window.controls.train_button.isEnabled()
    from gui.lr_find.view import how_seeds_ended

    assert how_seeds_ended(test.curves) in view.status_label.text()
    # Live: each seed's curve was the smoothed loss of the steps so far, at their rates.
    assert live, "nothing was drawn while the test ran"
    for curves in live[-1:]:
        assert len(curves) == 2
        for (xs, ys), curve in zip(curves, test.curves, strict=True):
            n = len(ys)
            assert 0 < n <= len(curve.rates)
            np.testing.assert_allclose(xs, curve.rates[:n])
            np.testing.assert_allclose(ys, lr_find.smooth(curve.losses[:n]), rtol=1e-6)
    # At the end: the median over the seeds and the band between their extremes.
    rates, median, low, high = test.band()
    (line,) = view._curves
    np.testing.assert_allclose(line.xData, rates)
    np.testing.assert_allclose(line.yData, median)
    lowest, highest = view.band_edges
    np.testing.assert_allclose(lowest.xData, rates)
    np.testing.assert_allclose(lowest.yData, low)
    np.testing.assert_allclose(highest.yData, high)
    # Each suggestion: a dot on the median curve at its rate, and a line there (the plot's
    # x axis is log10 of the rate), named in the legend with its rate.
    suggested = test.suggested()
    assert set(view.marks) == set(suggested)
    for rule, rate in suggested.items():
        dot, guide = view.marks[rule]
        assert dot.xData.tolist() == [rate]
        on_curve = np.interp(np.log(rate), np.log(rates), median)
        assert dot.yData[0] == pytest.approx(on_curve)
        assert guide.value() == pytest.approx(np.log10(rate))
        assert dot.name() == f"{rule}: {rate:.2g}"
    # The valley is offered first; Use this rate puts it into the side panel, unless the
    # panel now holds another optimizer than the one tested.
    assert view.rule_combo.currentData() == suggested["valley"]
    panel = window.panel
    adam = panel.optimizer_combo.currentIndex()
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    sgd_rate = window.build_config().hyperparameters["learning_rate"]
    view.use_rate()
    assert "changed since the test: the optimizer (adam tested, sgd now)" in (
        view.status_label.text()
    )
    assert window.build_config().hyperparameters["learning_rate"] == sgd_rate
    panel.optimizer_combo.setCurrentIndex(adam)
    qtbot.mouseClick(view.findChild(QPushButton, "useRangeRate"), Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    rate = window.build_config().hyperparameters["learning_rate"]
    assert rate == pytest.approx(suggested["valley"], rel=1e-6)


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [(1e-2, 1e-3, "must be above its lowest")],
)
def test_a_bad_range_is_refused_in_the_tab_with_what_to_use(qtbot, window, low, high, words):
    view = window.range_view
    view.low_spin.setValue(low)
    view.high_spin.setValue(high)
    assert view.start() is False
    assert words in view.status_label.text() and "try 1e-7 to 10" in view.status_label.text()
    assert view.job is None and view.run_button.isEnabled()


def test_a_model_that_does_not_fit_the_data_ends_with_the_engines_message(qtbot, window):
    """A loss that does not fit the task is refused by the engine before anything trains."""
    window.select_dataset("sine")  # regression
    view = window.range_view
    view.steps_spin.setValue(20)
    config = window.build_config()
    config.loss = "binary_crossentropy"
    view.base_config = lambda: config
    with qtbot.waitSignal(view.sig_test_finished, timeout=RUN_TIMEOUT) as blocker:
        assert view.start()
    assert blocker.args[0] is None
    text = view.status_label.text()
    assert text.startswith("The range test did not run:")
    assert "Binary cross-entropy does not fit a regression task" in text
    assert view.run_button.isEnabled()


def test_an_unexpected_error_in_the_engine_is_said_in_the_tab(qtbot, window, monkeypatch):
    from trainers import lr_find as engine

    def broken(*_args, **_kwargs):
        raise ValueError("a bug on purpose")

    monkeypatch.setattr(engine, "run_range_test", broken)
    view = window.range_view
    with qtbot.waitSignal(view.sig_test_finished, timeout=RUN_TIMEOUT) as blocker:
        assert view.start()
    assert blocker.args[0] is None
    text = view.status_label.text()
    assert "Something went wrong (ValueError: a bug on purpose)" in text
    assert view.run_button.isEnabled() and window.controls.train_button.isEnabled()


def test_how_the_seeds_ended_is_said_in_one_sentence():
    from types import SimpleNamespace

    from gui.lr_find.view import how_seeds_ended

    def curve(ended, steps):
        return SimpleNamespace(ended=ended, rates=np.zeros(steps))

    assert how_seeds_ended([curve("completed", 200)] * 2 + [curve("exploded", 187)]) == (
        "Of 3 seeds, 2 ran all 200 steps; 1 stopped at 4x its best smoothed loss, at step 187."
    )
    assert how_seeds_ended([curve("diverged", 40), curve("diverged", 45)]) == (
        "Of 2 seeds, 2 stopped at a loss that is not a number, at steps 40-45."
    )
    assert how_seeds_ended([curve("stopped", 12)]) == (
        "It stopped when you pressed Stop, at step 12."
    )
