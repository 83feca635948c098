"""The Compare tab with seeds, offscreen with the real worker and real training: each group is
drawn as the median of its seeds with a band whose edges are their min and max (or quartiles),
"Show each seed" adds every seed's own curve, the table has a row per group, and the seeds,
engine and band choices are remembered."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QPushButton, QSpinBox, QTableWidget

from gui.compare import CompareView
from gui.compare.table import COL_RUN, COL_STATUS, COL_VAL
from trainers.events import EpochEnded, Started

RUN_TIMEOUT = 240_000


def find(widget, cls, name):
    child = widget.findChild(cls, name)
    assert child is not None, f"no {cls.__name__} named {name}"
    return child


@pytest.fixture
def seeded(qtbot, window, settings):
    """Two optimizers x 2 seeds on moons, 2 epochs, trained; the view and each member's
    validation losses (epoch 0 first) and seconds as the worker reported them."""
    view = CompareView(window.worker, window.build_config, settings=settings)
    qtbot.addWidget(view)
    view.resize(1300, 850)
    view.show()
    window.findChild(QSpinBox, "epochsSpin").setValue(2)
    view.set_optimizers(["sgd", "adam"])
    find(view, QSpinBox, "compareSeedsSpin").setValue(2)
    engine = find(view, QComboBox, "compareEngineCombo")
    engine.setCurrentIndex(engine.findData("sequential"))
    losses: dict[int, list[float]] = {}
    seconds: dict[int, list[float]] = {}

    def heard(events):
        for event in events:
            if event.key.job != view.job or event.key.member is None:
                continue
            if isinstance(event, Started):
                losses[event.key.member] = [event.info.initial_logs["val_loss"]]
                seconds[event.key.member] = [0.0]
            elif isinstance(event, EpochEnded):
                losses[event.key.member].append(event.logs["val_loss"])
                seconds[event.key.member].append(event.seconds)

    window.worker.sig_events.connect(heard)
    with qtbot.waitSignal(view.sig_comparison_finished, timeout=RUN_TIMEOUT) as finished:
        qtbot.mouseClick(find(view, QPushButton, "compareButton"), Qt.MouseButton.LeftButton)
    view.draw_now()
    yield view, finished.args[0], losses, seconds
    window.worker.sig_events.disconnect(heard)
    view.close()


def title(plot) -> str:
    return plot.getPlotItem().titleLabel.text.replace("<br>", " ")


def drawn(item):
    xs, ys = item.getData()
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def test_each_group_is_its_seeds_median_with_a_min_max_band(qtbot, seeded):
    view, rows, losses, seconds = seeded
    assert [row.status for row in rows] == ["completed"] * 4
    assert view.seeded and view.group_labels() == ["SGD lr=0.01", "Adam lr=0.001"]
    assert view.run_labels() == [
        "SGD lr=0.01 · seed 0",
        "SGD lr=0.01 · seed 1",
        "Adam lr=0.001 · seed 0",
        "Adam lr=0.001 · seed 1",
    ]
    assert view.races.band_text == "band: min-max over 2 seeds"  # the legend's last entry
    assert title(view.races.epoch_plot) == "Validation loss by epoch"
    assert "median of its run's seeds" in view.races.epoch_plot.toolTip()
    for group, members in enumerate(([0, 1], [2, 3])):
        values = np.array([losses[m] for m in members])  # seeds x epochs 0, 1, 2
        assert values.shape == (2, 3) and not np.all(values[0] == values[1])
        curves = view.band_curves(group)
        xs, median = drawn(curves["epoch"])
        assert list(xs) == [0.0, 1.0, 2.0]
        np.testing.assert_array_equal(median, np.median(values, axis=0))
        np.testing.assert_array_equal(drawn(curves["epoch_low"])[1], values.min(axis=0))
        np.testing.assert_array_equal(drawn(curves["epoch_high"])[1], values.max(axis=0))
        assert curves["epoch_fill"].curves == [curves["epoch_low"], curves["epoch_high"]]
        assert not curves["epoch_fill"].path().isEmpty()  # the shade is drawn
        # By training time: the same values, at the seeds' median seconds.
        times, time_median = drawn(curves["time"])
        np.testing.assert_allclose(times, np.median([seconds[m] for m in members], axis=0))
        np.testing.assert_array_equal(time_median, np.median(values, axis=0))
        np.testing.assert_array_equal(drawn(curves["time_high"])[1], values.max(axis=0))
        # The step plot: the median of the seeds' averaged step losses.
        steps = [view.curves(m)["step"] for m in members]
        smooth = [view.races.races[m].smooth.buffer.ys for m in members]
        step_xs, step_median = drawn(curves["step"])
        assert len(step_xs) == len(smooth[0]) and all(not s.isVisible() for s in steps)
        np.testing.assert_allclose(step_median, np.median(smooth, axis=0))

    # The interquartile band: its edges are the seeds' 25th and 75th percentiles.
    band = find(view, QComboBox, "compareBandCombo")
    band.setCurrentIndex(band.findData("iqr"))
    values = np.array([losses[m] for m in (2, 3)])
    curves = view.band_curves(1)
    low, high = np.percentile(values, [25, 75], axis=0)
    np.testing.assert_allclose(drawn(curves["epoch_low"])[1], low)
    np.testing.assert_allclose(drawn(curves["epoch_high"])[1], high)
    assert view.races.band_text == "band: interquartile over 2 seeds"
    assert "interquartile" in view.races.time_plot.toolTip()


def test_show_each_seed_adds_one_curve_per_seed_and_the_table_has_group_rows(qtbot, seeded):
    view, rows, losses, _ = seeded
    plot_items = view.races.epoch_plot.getPlotItem().items

    def visible_lines():
        return [i for i in plot_items if i.isVisible() and i.__class__.__name__ == "PlotDataItem"]

    before = len(visible_lines())
    assert before == 2 * 3  # per group: the median and the band's two edges
    each = find(view, QCheckBox, "compareEachSeedCheck")
    assert each.isEnabled()
    each.setChecked(True)
    after = visible_lines()
    assert len(after) == before + 4
    for member in range(4):
        curve = view.curves(member)["epoch"]
        assert curve.isVisible()
        np.testing.assert_array_equal(drawn(curve)[1], losses[member])
        colour = curve.opts["pen"].color()
        group_colour = view.band_curves(member // 2)["epoch"].opts["pen"].color()
        assert colour.rgb() == group_colour.rgb()  # the seeds of a group share its colour
    # Hiding a group (its row) hides its median, band and seeds.
    table = find(view, QTableWidget, "compareTable")
    assert table.rowCount() == 2
    assert [table.item(r, COL_RUN).text() for r in range(2)] == ["SGD lr=0.01", "Adam lr=0.001"]
    assert table.item(0, COL_STATUS).text() == "completed"
    sgd = [r.final_val_loss for r in rows[:2]]
    assert float(table.item(0, COL_VAL).text()) == pytest.approx(np.median(sgd), rel=1e-3)
    assert "min-max" in table.item(0, COL_VAL).toolTip()
    table.item(0, COL_RUN).setCheckState(Qt.CheckState.Unchecked)
    assert not view.is_run_visible(0)
    assert not view.band_curves(0)["epoch_fill"].isVisible()
    assert not view.curves(0)["epoch"].isVisible() and view.curves(2)["epoch"].isVisible()
    assert "Medians over 2 seeds" in view.verdict_label.text()
    qtbot.waitUntil(lambda: view.engine_note.startswith("Engine: sequential"), timeout=10_000)
    assert view.engine_note in view.status_label.text()


def test_the_seed_choices_are_remembered(qtbot, seeded, window, settings):
    view = seeded[0]
    find(view, QCheckBox, "compareEachSeedCheck").setChecked(True)
    again = CompareView(window.worker, window.build_config, settings=settings)
    qtbot.addWidget(again)
    assert find(again, QSpinBox, "compareSeedsSpin").value() == 2
    assert find(again, QComboBox, "compareEngineCombo").currentData() == "sequential"
    assert find(again, QCheckBox, "compareEachSeedCheck").isChecked()
    assert find(again, QSpinBox, "compareSeedsSpin").maximum() == 100
    assert again.choices.plan_label.text().startswith("2 runs \u00d7 2 seeds")
    again.close()
