"""The window fed recorded events through an injected worker: it draws, counts and reports a
run it never trained, and never loads TensorFlow to do so (checked in a fresh interpreter)."""

import json

from tests.processes import run_python

SCRIPT = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication([])
from gui import MainWindow
from tests.gui.replay import ReplayWorker, recorded_run
from trainers.events import RunKey, Status, Steps

worker = ReplayWorker()
window = MainWindow(settings=QSettings(sys.argv[1], QSettings.Format.IniFormat), worker=worker)
window.show()
finished = []
window.sig_run_finished.connect(finished.append)
window._finish_startup()  # the first paint's work, without waiting for the paint
worker.load()
window.panel.epochs_spin.setValue(2)
window.start_training()
[(kind, config)] = [r for r in worker.requests if r[0] == "run"]
events, result = recorded_run(worker.job, config)
worker.play(events[:3])  # started, the first epoch's steps and its end
app.processEvents()
window.controls.stop_button.click()
mid = {"running": window.running, "steps": window.training.step_plot.buffer.n,
       "controls": list(worker.controls)}
worker.play([Steps(RunKey(worker.job + 7, 0), [1, 2], [5.0, 5.0])])  # another job's steps
worker.play([Status(RunKey(0, None), "Busy elsewhere")])
status_seen = window.status_label.text()
worker.play(events[3:])
app.processEvents()
window._on_redraw(everything=True)
plot = window.training.step_plot
print(json.dumps({
    "mid": mid,
    "status_seen": status_seen,
    "finished": finished,
    "steps": plot.buffer.xs.tolist(),
    "losses": plot.buffer.ys.tolist(),
    "drawn": len(plot.raw.xData),
    "epochs": window.training.epoch_plot.train_buf.xs.tolist(),
    "epoch_losses": window.training.epoch_plot.train_buf.ys.tolist(),
    "progress": [window.controls.progress.value(), window.controls.progress.maximum()],
    "status": window.status_label.text(),
    "last_result_is_the_run": window.last_result is result,
    "config_dataset": config.dataset,
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")),
}))
window.close()
"""


def test_the_window_draws_recorded_events_without_tensorflow(tmp_path):
    done = run_python(
        SCRIPT,
        tmp_path / "settings.ini",
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DESCENT_RUNS_DIR": str(tmp_path / "runs"),
        },
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == []  # the whole window, and not a line of TensorFlow
    assert seen["config_dataset"] == "moons"
    # Mid-run: the first epoch's 5 steps drawn, Stop handed to the worker, still running.
    assert seen["mid"] == {"running": True, "steps": 5, "controls": ["stop"]}
    assert seen["status_seen"] == "Busy elsewhere"  # every job's status reaches the status bar
    # Another job's steps were not drawn: only this run's 10, with their losses.
    assert seen["steps"] == list(range(1, 11))
    assert seen["losses"][0] == 0.9 and abs(seen["losses"][-1] - 0.3) < 1e-12
    assert seen["drawn"] == 10
    assert seen["epochs"] == [0, 1, 2]  # the untrained model, then each epoch
    assert seen["epoch_losses"][0] == 1.0
    assert seen["progress"] == [10, 10]
    assert seen["finished"] == ["completed"]
    assert seen["status"].startswith("Completed 2 epochs, final loss")
    assert seen["last_result_is_the_run"]
