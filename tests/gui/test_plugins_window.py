"""The window with plugins in the plugin folder: a sign-SGD offered in the side panel and the
Compare tab once the engine is loaded, trained for real; a broken plugin named in the banner
and its traceback in Help > Plugins; the window starts all the same."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QPushButton, QSpinBox

from gui import MainWindow
from gui.plugins_dialog import PluginsDialog
from tests.trainers import plugin_files
from tests.trainers.plugin_files import BROKEN, FROM_SIGNATURE, SIGN_SGD, write

RUN_TIMEOUT = 180_000
plugin_folder = plugin_files.plugin_folder  # the fixture: a temporary plugin folder


def test_a_plugin_is_offered_trains_and_a_broken_one_is_shown(qtbot, settings, plugin_folder):
    write(plugin_folder, "sign_sgd.py", SIGN_SGD)
    write(plugin_folder, "raises.py", BROKEN["raises.py"])
    write(plugin_folder, "damped.py", FROM_SIGNATURE)  # an optimizer and a regression loss
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.sig_ready, timeout=RUN_TIMEOUT):
        pass
    combo = win.findChild(QComboBox, "optimizerCombo")
    assert combo.findData("sign_sgd") >= 0
    offered = win.compare_view.choices.optimizer_list
    assert "Sign SGD" in [offered.item(i).text() for i in range(offered.count())]
    win.compare_view.choices.show_losses("regression")
    losses = win.compare_view.choices.loss_list
    assert "MeanQuartic" in [losses.item(i).text() for i in range(losses.count())]
    assert win.panel.select_dataset("sine")
    qtbot.waitUntil(lambda: win.panel.loss_combo.findData("mean_quartic") >= 0, timeout=RUN_TIMEOUT)
    assert win.panel.select_dataset("moons")
    bench = win.benchmark_view.optimizers_list
    assert "Sign SGD" in [bench.item(i).text() for i in range(bench.count())]
    message = win.banner.label.text()
    assert "raises.py" in message and "Help > Plugins" in message
    assert win.findChild(QAction, "pluginsAction") is not None

    dialog = PluginsDialog(win.plugins, win)
    qtbot.addWidget(dialog)
    listed = dialog.list_view.toPlainText()
    assert f"sign_sgd.py  [plugin folder: {plugin_folder / 'sign_sgd.py'}]" in listed
    assert "sign_sgd (SignSGD)" in listed and "FAILED: RuntimeError" in listed
    assert "Traceback" in dialog.details.toPlainText()
    assert "this plugin refuses to load" in dialog.details.toPlainText()
    assert str(plugin_folder) in dialog.folder_label.text()

    combo.setCurrentIndex(combo.findData("sign_sgd"))
    assert win.panel.equation_label.text() == "w <- w - eta * sign(g)"
    win.findChild(QSpinBox, "epochsSpin").setValue(3)
    with qtbot.waitSignal(win.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(win.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "completed"
    assert win.last_result.info.config.optimizer == "sign_sgd"
    win.close()


def test_the_window_takes_its_plugin_files_and_leaves_qt_its_options():
    from gui.plugins_dialog import take_plugin_arguments
    from trainers.cli import commands

    argv = ["--plugin", "a.py", "-style", "fusion", "--plugin=b.py", "--plugin", "qtplug"]
    assert take_plugin_arguments(argv) == (
        ["-style", "fusion", "--plugin", "qtplug"],
        ["a.py", "b.py"],
    )
    assert commands.dispatch(["--plugin", "a.py"], environ={"DISPLAY": ":0"})[0] == commands.WINDOW


MID_RUN = '''
import keras


class Exploding(keras.optimizers.Optimizer):
    """Raises in its update: a bug that shows only once a run trains."""

    def __init__(self, learning_rate=0.01, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        raise RuntimeError("the plugin broke mid-run")
'''


def test_a_plugin_that_breaks_mid_run_is_reported_with_its_traceback(
    qtbot, settings, plugin_folder
):
    write(plugin_folder, "exploding.py", MID_RUN)
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.sig_ready, timeout=RUN_TIMEOUT):
        pass
    combo = win.findChild(QComboBox, "optimizerCombo")
    combo.setCurrentIndex(combo.findData("exploding"))
    with qtbot.waitSignal(win.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(win.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "failed"
    message = win.banner.label.text()
    assert "the plugin broke mid-run" in message and "plugin exploding.py" in message
    dialog = PluginsDialog(win.plugins, win)
    qtbot.addWidget(dialog)
    details = dialog.details.toPlainText()
    assert "exploding.py broke a run" in details and "Traceback" in details
    assert 'raise RuntimeError("the plugin broke mid-run")' in details
    # Descent goes on: the next run, with one of ours, trains.
    combo.setCurrentIndex(combo.findData("sgd"))
    win.findChild(QSpinBox, "epochsSpin").setValue(2)
    with qtbot.waitSignal(win.sig_run_finished, timeout=RUN_TIMEOUT) as blocker:
        qtbot.mouseClick(win.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    assert blocker.args[0] == "completed"
    win.close()
