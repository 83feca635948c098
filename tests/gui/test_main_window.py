"""The real window, driven offscreen: train, stop, pause, errors, closing mid-run, settings."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QPushButton, QSpinBox

from gui import MainWindow
from gui.plots import StepLossPlot
from trainers import catalog
from trainers.events import EpochEnded

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 180_000


def find(win, cls, name):
    widget = win.findChild(cls, name)
    assert widget is not None, f"no {cls.__name__} named {name}"
    return widget


def train_and_wait(qtbot, win):
    with qtbot.waitSignal(win.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(find(win, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_controls_have_stable_names(window):
    for cls, name in [
        (QComboBox, "datasetCombo"),
        (QComboBox, "lossCombo"),
        (QComboBox, "optimizerCombo"),
        (QDoubleSpinBox, "learningRateSpin"),
        (QSpinBox, "epochsSpin"),
        (QSpinBox, "batchSizeSpin"),
        (QPushButton, "trainButton"),
        (QPushButton, "stopButton"),
    ]:
        assert find(window, cls, name).accessibleName()
    assert isinstance(window.findChild(StepLossPlot, "stepLossPlot"), StepLossPlot)
    assert window.findChild(object, "epochLossPlot") is not None


def test_train_on_defaults_draws_a_falling_curve(qtbot, window):
    find(window, QSpinBox, "epochsSpin").setValue(5)
    status = train_and_wait(qtbot, window)
    assert status == "completed"
    plot = window.training.step_plot
    assert plot.buffer.n == 5 * 10  # moons: 320 training samples, batch 32
    assert window.training.epoch_plot.train_buf.n == 6  # epochs 0..5
    losses = window.training.epoch_plot.train_buf.ys
    assert losses[-1] < losses[0]
    assert "Completed" in window.status_label.text()
    assert window.controls.progress.value() == window.controls.progress.maximum()
    assert find(window, QPushButton, "trainButton").isEnabled()


def test_every_combo_can_be_changed(qtbot, window):
    datasets = find(window, QComboBox, "datasetCombo")
    losses = find(window, QComboBox, "lossCombo")
    model = datasets.model()
    for i in range(datasets.count()):
        if not model.item(i).isEnabled():
            continue  # a group title
        datasets.setCurrentIndex(i)
        name = datasets.currentData()
        task = catalog.dataset_info(name).task
        shown = {losses.itemData(j) for j in range(losses.count())}
        assert shown == {loss.name for loss in catalog.losses_for(task)}
    optimizers = find(window, QComboBox, "optimizerCombo")
    for i in range(optimizers.count()):
        optimizers.setCurrentIndex(i)
        info = catalog.optimizer_info(optimizers.currentData())
        assert set(window.panel.optimizer_form.values()) == {p.name for p in info.params}
        assert info.equation.splitlines()[0] in window.panel.equation_label.text()
        assert find(window, QDoubleSpinBox, "learningRateSpin").value() == pytest.approx(
            info.param("learning_rate").default
        )
    for name in ("activationCombo", "scheduleCombo", "variantCombo"):
        combo = find(window, QComboBox, name)
        for i in range(combo.count()):
            combo.setCurrentIndex(i)
    variant = find(window, QComboBox, "variantCombo")
    variant.setCurrentIndex(variant.findData("batch"))
    assert not find(window, QSpinBox, "batchSizeSpin").isEnabled()
    assert window.build_config().batch_size == "full"


def test_momentum_says_which_form_is_in_use(window):
    optimizers = find(window, QComboBox, "optimizerCombo")
    optimizers.setCurrentIndex(optimizers.findData("momentum"))
    assert "average of gradients" in window.panel.equation_label.text()
    window.panel.optimizer_form.editors["ewma"].setChecked(False)
    assert "heavy-ball" in window.panel.equation_label.text()
    assert "v <- beta * v + g" in window.panel.equation_label.text()


def test_stop_mid_run_keeps_the_curves(qtbot, window):
    find(window, QSpinBox, "epochsSpin").setValue(2000)
    qtbot.mouseClick(find(window, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.step_plot.buffer.n > 0, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert blocker.args == ["stopped"]
    assert window.training.step_plot.buffer.n > 0
    assert window.banner.isVisible() and "Stopped" in window.banner.label.text()
    assert window.last_result.status == "stopped"


def test_pause_and_resume(qtbot, window):
    find(window, QSpinBox, "epochsSpin").setValue(200)
    qtbot.mouseClick(find(window, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.training.step_plot.buffer.n > 0, timeout=RUN_TIMEOUT)
    pause = find(window, QPushButton, "pauseButton")
    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    assert pause.text() == "Resume"
    qtbot.waitUntil(lambda: window.status_label.text() == "Paused", timeout=RUN_TIMEOUT)
    window._on_redraw()
    held = window.training.step_plot.buffer.n
    qtbot.wait(300)  # a paused run adds no point while events keep flowing
    assert window.training.step_plot.buffer.n == held and window.running
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.training.step_plot.buffer.n > held, timeout=RUN_TIMEOUT)
        window.stop_training()
    assert blocker.args == ["stopped"]


def test_a_bad_hyperparameter_shows_a_message_and_does_not_start(qtbot, window):
    spin = find(window, QDoubleSpinBox, "learningRateSpin")
    spin.setValue(0.0)
    assert "background" in spin.styleSheet()  # the row turns red at once
    qtbot.mouseClick(find(window, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    assert not window.running
    assert window.banner.isVisible()
    assert "learning_rate" in window.banner.label.text()
    spin.setValue(0.01)
    assert train_and_wait(qtbot, window) == "completed"


def test_a_bad_csv_shows_a_message_and_the_next_run_works(qtbot, window, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("a,b,label\n1,2,x\n3,oops,y\n4,5,x\n")
    window.open_dataset_file(str(bad))
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=RUN_TIMEOUT)
    text = window.banner.label.text()
    assert "broken.csv" in text and "b" in text
    assert train_and_wait(qtbot, window) == "failed"
    assert "broken.csv" in window.banner.label.text()
    window.select_dataset("iris")
    find(window, QSpinBox, "epochsSpin").setValue(2)
    assert train_and_wait(qtbot, window) == "completed"


def test_divergence_warns_and_keeps_the_curve(qtbot, window):
    window.select_dataset("diabetes")
    optimizers = find(window, QComboBox, "optimizerCombo")
    optimizers.setCurrentIndex(optimizers.findData("sgd"))
    find(window, QDoubleSpinBox, "learningRateSpin").setValue(10000)
    find(window, QSpinBox, "epochsSpin").setValue(20)
    assert train_and_wait(qtbot, window) == "diverged"
    assert window.banner.label.property("severity") == "warning"
    assert "diverged" in window.banner.label.text()
    assert "learning rate" in window.banner.label.text()
    assert window.training.step_plot.buffer.n >= 1


def test_closing_mid_run_stops_and_waits_for_the_thread(qtbot, settings):
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.sig_ready, timeout=RUN_TIMEOUT):
        pass
    find(win, QSpinBox, "epochsSpin").setValue(5000)
    qtbot.mouseClick(find(win, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.training.step_plot.buffer.n > 0, timeout=RUN_TIMEOUT)
    win.close()
    assert not win.worker_thread.isRunning()


def test_choices_are_remembered_between_launches(qtbot, settings):
    first = MainWindow(settings=settings)
    qtbot.addWidget(first)
    with qtbot.waitSignal(first.sig_ready, timeout=RUN_TIMEOUT):
        pass
    first.select_dataset("wine")
    optimizers = find(first, QComboBox, "optimizerCombo")
    optimizers.setCurrentIndex(optimizers.findData("rmsprop"))
    find(first, QDoubleSpinBox, "learningRateSpin").setValue(0.005)
    find(first, QSpinBox, "epochsSpin").setValue(7)
    first.close()
    second = MainWindow(settings=settings)
    qtbot.addWidget(second)
    with qtbot.waitSignal(second.sig_ready, timeout=RUN_TIMEOUT):
        pass
    assert second.build_config().dataset == "wine"
    assert find(second, QComboBox, "optimizerCombo").currentData() == "rmsprop"
    assert find(second, QDoubleSpinBox, "learningRateSpin").value() == pytest.approx(0.005)
    assert find(second, QSpinBox, "epochsSpin").value() == 7
    second.close()


def test_save_run_writes_the_files(qtbot, window, tmp_path):
    find(window, QSpinBox, "epochsSpin").setValue(2)
    assert train_and_wait(qtbot, window) == "completed"
    folder = tmp_path / "saved"
    window.save_run(str(folder))
    qtbot.waitUntil(lambda: "Saved" in window.status_label.text(), timeout=RUN_TIMEOUT)
    assert {p.name for p in folder.iterdir()} >= {
        "config.json",
        "history.csv",
        "steps.csv",
        "model.keras",
    }


def test_about_names_the_versions(window):
    text = window.about_text()
    assert "TensorFlow" in text and "Keras" in text and "Qt" in text


def test_first_paint_does_not_wait_for_tensorflow(tmp_path):
    # A fresh process: here TensorFlow is not imported yet when the window is built.
    script = f"""
import json, os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
sys.path.insert(0, {str(ROOT)!r})
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gui import MainWindow
settings = QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat)
win = MainWindow(settings=settings)
win.show()
app.processEvents()
painted = not win.grab().isNull()
state = {{"painted": painted, "ready": win.ready, "message": win.banner.label.text(),
          "train_enabled": win.controls.train_button.isEnabled()}}
while not win.ready:
    app.processEvents()
    time.sleep(0.01)
state["ready_later"] = win.ready
win.close()
print(json.dumps(state))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state["painted"] and not state["ready"]
    assert state["message"] == "Preparing TensorFlow..."
    assert not state["train_enabled"]
    assert state["ready_later"]


def test_epoch_plots_show_the_whole_run_from_its_first_epoch(qtbot, window):
    window.select_dataset("moons")
    find(window, QSpinBox, "epochsSpin").setValue(6)
    seen = []

    def on_epoch(events):
        if any(isinstance(e, EpochEnded) and e.epoch == 1 for e in events):
            # The window's own slot has drawn epoch 1's points already.
            for plot in (window.training.epoch_plot, window.training.metric_plot):
                seen.append((plot.getViewBox().viewRange()[0], plot.train_buf.n))

    window.worker.sig_events.connect(on_epoch)
    assert train_and_wait(qtbot, window) == "completed"
    assert len(seen) == 2
    for (low, high), points in seen:
        assert points == 2  # epochs 0 and 1
        assert low <= 0 and high >= 6  # the axis already reaches the last epoch


def test_views_off_screen_wait_for_the_screen_or_the_run_end(qtbot, window):
    window.select_dataset("moons")
    find(window, QSpinBox, "epochsSpin").setValue(4)
    inside = window.training.inside_view.update_plot
    seen = []

    def on_epoch(events):
        if any(isinstance(e, EpochEnded) and e.epoch == 2 for e in events):
            for _ in range(6):  # frames enough for every plot to take its turn
                window._on_redraw()
            drawn = 0 if inside.curve.xData is None else len(inside.curve.xData)
            seen.append((window.training.inside_view.isVisible(), inside.buffer.n, drawn))

    window.worker.sig_events.connect(on_epoch)
    assert train_and_wait(qtbot, window) == "completed"
    [(visible, received, drawn)] = seen
    assert not visible and received > 0 and drawn == 0
    assert len(inside.curve.xData) == inside.buffer.n == window.training.step_plot.buffer.n


def test_inside_and_boundary_views_follow_the_run(qtbot, window):
    window.select_dataset("blobs")
    optimizers = find(window, QComboBox, "optimizerCombo")
    optimizers.setCurrentIndex(optimizers.findData("adagrad"))
    find(window, QSpinBox, "epochsSpin").setValue(4)
    assert train_and_wait(qtbot, window) == "completed"
    window._on_redraw()
    inside = window.training.inside_view
    steps = window.training.step_plot.buffer.n
    assert inside.update_plot.buffer.n == steps  # the size of every update
    # The rate once per chunk of steps, after the chunk's last update, up to the run's last.
    chunk = window.training.info.steps_per_execution
    epochs = steps // window.training.info.steps_per_epoch
    assert inside.rate_plot.buffer.n == epochs * -(-window.training.info.steps_per_epoch // chunk)
    assert inside.rate_plot.buffer.xs[-1] == steps
    rates = inside.rate_plot.buffer.ys
    assert rates[-1] < rates[0]  # AdaGrad's effective rate fades
    assert window.training.boundary_plot.epoch == 4
    assert window.training.boundary_plot.image.image.shape[:2] == (60, 60)
    assert "AdaGrad" in window.training.explanation.toPlainText()
    window.select_dataset("iris")  # not 2-D: the boundary view says what it is for
    assert train_and_wait(qtbot, window) == "completed"
    assert window.training.boundary_plot.epoch is None
    assert "2-D" in window.training.boundary_plot.getPlotItem().titleLabel.text


def test_the_loss_surfaces_tab_is_built_when_first_shown(window):
    # Its path worker loads TensorFlow on a thread of its own: not before it is wanted.
    assert window.surface_view is None
    window.view_tabs.setCurrentWidget(window.surface_tab)
    view = window.surface_view
    assert view is not None and view.isVisible()
    assert view.parent() is window.surface_tab
    window.view_tabs.setCurrentIndex(0)
    window.view_tabs.setCurrentWidget(window.surface_tab)
    assert window.surface_view is view  # made once


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_closes_the_window_as_its_close_button_does(qtbot, settings, signum):
    import os
    import signal

    from gui.signals import close_on_signals
    from trainers.runs import RunLibrary, default_runs_dir

    number = getattr(signal, signum)
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    try:
        assert close_on_signals(win) is not None
        win.show()
        with qtbot.waitSignal(win.sig_ready, timeout=RUN_TIMEOUT):
            pass
        find(win, QSpinBox, "epochsSpin").setValue(4321)
        qtbot.mouseClick(find(win, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: win.training.step_plot.buffer.n > 0, timeout=RUN_TIMEOUT)
        os.kill(os.getpid(), number)
        qtbot.waitUntil(lambda: not win.isVisible(), timeout=30_000)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    assert win.closed_by_signal == number
    assert not win.worker_thread.isRunning()  # the run stopped, the engine thread joined
    assert int(settings.value("form/epochs")) == 4321  # settings saved
    with RunLibrary(default_runs_dir()) as library:
        latest = library.list_runs(order="started", descending=True, limit=1)[0]
    assert latest.epochs == 4321 and latest.status == "stopped"
