"""The sharpness in the window: the side panel's "Sharpness every" turns into the run's
`sharpness_every` and is remembered; a real run of full-batch gradient descent ends with the
Sharpness tab's dots at the values the engine measured and its dashed line at 2/η; a run that
does not measure it shows the line saying how to turn it on; Adam's is the preconditioned
sharpness against its own threshold."""

from __future__ import annotations

import numpy as np
import pytest

from gui.training import SidePanel
from gui.training.sharpness import OFF_HINT
from tests.gui.training.conftest import train_replayed
from tests.made import run_info
from trainers import sharpness
from trainers.config import RunConfig
from trainers.events import Finished, RunKey, SharpnessMeasured, Started

RUN_TIMEOUT = 120_000


def test_the_panels_switch_is_off_by_default_feeds_the_config_and_is_remembered(qtbot, settings):
    panel = SidePanel(settings)
    qtbot.addWidget(panel)
    spin = panel.sharpness_spin
    assert spin.value() == 0 and spin.text() == "off"
    assert panel.build_config().sharpness_every == 0
    assert "costs" in spin.toolTip() and "λmax" in spin.toolTip()
    spin.setValue(25)
    assert panel.build_config().validate().sharpness_every == 25
    panel.save_settings()
    again = SidePanel(settings)
    qtbot.addWidget(again)
    again.restore_settings()
    assert again.sharpness_spin.value() == 25


def test_a_real_run_draws_each_measurement_against_two_over_eta(qtbot, window):
    panel = window.panel
    window.select_dataset("sine")
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    panel.optimizer_form.set_values({"learning_rate": 0.3})
    panel.variant_combo.setCurrentIndex(panel.variant_combo.findData("batch"))
    panel.hidden_edit.setText("8")
    panel.activation_combo.setCurrentText("tanh")
    panel.epochs_spin.setValue(12)
    panel.sharpness_spin.setValue(4)
    heard = []
    window.worker.sig_events.connect(
        lambda events: heard.extend(e for e in events if isinstance(e, SharpnessMeasured))
    )
    view = window.training.sharpness_view
    window.view_tabs.setCurrentWidget(view)
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT) as ended:
        window.start_training()
    assert ended.args == ["completed"]
    # One step an epoch: measured at the start and every 4 steps, as the result keeps them.
    assert [e.step for e in heard] == [0, 4, 8, 12]
    assert [(e.step, e.value, e.threshold) for e in heard] == window.last_result.sharpness
    assert view.plot.isVisible()
    np.testing.assert_array_equal(view.values.xData, [0, 4, 8, 12])
    np.testing.assert_allclose(view.values.yData, [e.value for e in heard])
    np.testing.assert_array_equal(view.bound.xData, [0, 4, 8, 12])  # the run has ended
    np.testing.assert_allclose(view.bound.yData, 2 / 0.3)
    assert view.values.name() == "sharpness λmax"
    assert view.bound.name() == "stability threshold 2/η"
    assert [label.text for _sample, label in view.legend.items] == [
        "sharpness λmax",
        "stability threshold 2/η",
    ]
    last = heard[-1]
    said = sharpness.verdict(last.value, last.threshold, last.quantity, "2/η")
    assert view.verdict.text() == f"Step 12: {said}"
    assert "of the threshold 2/η" in said


def test_a_run_without_sharpness_shows_how_to_turn_it_on(qtbot, replayed):
    view = replayed.training.sharpness_view
    replayed.view_tabs.setCurrentWidget(view)
    assert view.verdict.text() == OFF_HINT and not view.plot.isVisible()  # before any run
    config = train_replayed(replayed)
    assert config.sharpness_every == 0
    assert view.verdict.text() == OFF_HINT
    assert not view.plot.isVisible()
    assert "Sharpness every" in OFF_HINT
    assert view.page.toPlainText().startswith("Sharpness and the edge of stability")


def test_adams_preconditioned_sharpness_is_named_and_drawn_against_its_threshold(qtbot, replayed):
    view = replayed.training.sharpness_view
    replayed.view_tabs.setCurrentWidget(view)
    replayed.panel.sharpness_spin.setValue(10)
    replayed.start_training()
    config = replayed.worker.requests[-1][1]
    assert config.optimizer == "adam" and config.sharpness_every == 10
    key = RunKey(replayed.worker.job, 0)
    info = run_info(config, total_steps=30)
    bound = 38 / config.learning_rate()
    measured = [
        SharpnessMeasured(key, step, value, bound, "preconditioned lambda_max")
        for step, value in ((10, 9000.0), (20, 36860.0))
    ]
    replayed.worker.play([Started(key, info), *measured])
    replayed._on_redraw(everything=True)
    assert view.plot.isVisible()
    title = view.plot.getPlotItem().titleLabel.text.replace("<br>", " ")
    assert title == "Adam at η = 0.001: sharpness against the stability threshold"
    assert view.values.name() == "preconditioned sharpness"
    assert view.bound.name() == "stability threshold (2+2β₁)/((1−β₁)η)"
    # While it trains, the threshold runs on to the run's planned end.
    np.testing.assert_array_equal(view.bound.xData, [10, 20, 30])
    np.testing.assert_allclose(view.bound.yData, bound)
    assert view.verdict.text() == (
        "Step 20: The preconditioned sharpness is 0.97 of the threshold (2+2β₁)/((1−β₁)η) "
        "(36,860 of 38,000): at the edge of stability."
    )
    from tests.made import completed_run

    result = completed_run(info, {"loss": [0.5]}, [0.5])
    replayed.worker.play([Finished(key, result)])
    replayed._on_redraw(everything=True)
    np.testing.assert_array_equal(view.bound.xData, [10, 20])
    view.log_check.setChecked(True)
    assert view.plot.getAxis("left").logMode


@pytest.mark.parametrize("every", [0, 7])
def test_fill_puts_sharpness_every_back_into_the_panel(qtbot, settings, every):
    from gui.training.fill import fill_panel

    panel = SidePanel(settings)
    qtbot.addWidget(panel)
    panel.sharpness_spin.setValue(3)
    assert fill_panel(panel, RunConfig(sharpness_every=every)) == []
    assert panel.build_config().sharpness_every == every


def test_the_tabs_that_train_runs_of_their_own_leave_sharpness_off(window):
    """Sharpness is the window's own run's: Compare, Benchmark, the range test and the
    landscape get the side panel's settings without it (a fused comparison refuses it)."""
    window.panel.sharpness_spin.setValue(10)
    assert window.build_config().sharpness_every == 10
    for view in (
        window.compare_view,
        window.benchmark_view,
        window.range_view,
        window.landscape_view,
    ):
        config = view.base_config()
        assert config.sharpness_every == 0
        assert config.optimizer == window.build_config().optimizer
