"""The side panel's choices for a researcher's files: a CSV's columns to leave out, its text
columns and missing values, and the network (MLP or CNN) for images; each reaches the run's
configuration, the dataset's description and a real run in the window."""

import numpy as np
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton

from gui.training.panel import SidePanel
from tests.gui.test_main_window import RUN_TIMEOUT, find, train_and_wait


def write_csv(folder, name="survey.csv"):
    """30 rows: an id, a colour as text, a number with gaps in 4 rows, and a yes/no answer."""
    rows = ["id,colour,height,answer"]
    for i in range(30):
        height = "" if i in (3, 7, 8, 20) else f"{150 + i}"
        rows.append(f"{i},{('red', 'green', 'blue')[i % 3]},{height},{'yes' if i % 2 else 'no'}")
    path = folder / name
    path.write_text("\n".join(rows) + "\n")
    return path


def write_images(folder):
    """Two classes of 8x8 pictures: bright and dark."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    for label, level in (("bright", 200), ("dark", 40)):
        (folder / label).mkdir(parents=True)
        for i in range(6):
            pixels = np.clip(rng.normal(level, 20, (8, 8, 3)), 0, 255).astype(np.uint8)
            (folder / label / f"{i}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    return folder


def layer_kinds(model) -> set[str]:
    """The class names of a model's layers, those of models inside it included."""
    kinds = set()
    for layer in model.layers:
        kinds.add(type(layer).__name__)
        if hasattr(layer, "layers"):
            kinds |= layer_kinds(layer)
    return kinds


def choose(combo: QComboBox, value: str) -> None:
    combo.setCurrentIndex(combo.findData(value))


def leave_out(panel, name: str) -> None:
    """Click the column's entry in the Leave out menu (a checkable action)."""
    action = next(a for a in panel.csv_choices.exclude_menu.actions() if a.data() == name)
    action.trigger()


def test_csv_choices_show_for_a_csv_only_and_reach_the_run_config(qtbot, settings, tmp_path):
    panel = SidePanel(settings)
    qtbot.addWidget(panel)
    assert panel.csv_choices.isHidden()
    panel.open_dataset_file(str(write_csv(tmp_path)))
    assert not panel.csv_choices.isHidden()
    entries = {a.data(): a.isEnabled() for a in panel.csv_choices.exclude_menu.actions()}
    assert entries == {"id": True, "colour": True, "height": True, "answer": False}
    assert panel.build_config().dataset_options == {
        "exclude": [],
        "text_columns": "onehot",
        "missing": "refuse",
    }

    leave_out(panel, "id")
    choose(panel.csv_choices.missing_combo, "mean")
    choose(panel.csv_choices.text_combo, "refuse")
    wanted = {"exclude": ["id"], "text_columns": "refuse", "missing": "mean"}
    assert panel.build_config().dataset_options == wanted
    assert panel.dataset_request()["options"] == wanted
    assert find(panel, QPushButton, "excludeButton").text() == "id"

    # The target cannot be left out: choosing a left-out column as the target takes it back.
    panel.target_combo.setCurrentText("id")
    assert panel.build_config().dataset_options["exclude"] == []
    assert panel.build_config().target == "id"

    # A saved run's choices come back into the form (what loading a run's settings does).
    panel.target_combo.setCurrentText("answer")
    other = SidePanel(settings)
    qtbot.addWidget(other)
    other.open_dataset_file(panel.current_dataset())
    other.csv_choices.set_options(wanted)
    assert other.build_config().dataset_options == wanted

    panel.select_dataset("moons")
    assert panel.csv_choices.isHidden()
    assert panel.build_config().dataset_options == panel.dataset_form.values()


def test_the_window_describes_and_trains_the_csv_as_chosen(qtbot, window, tmp_path):
    window.open_dataset_file(str(write_csv(tmp_path)))
    banner = window.banner.label
    # By default the file is refused, every row with a gap counted, the choice named.
    qtbot.waitUntil(lambda: "4 rows have missing values" in banner.text(), timeout=RUN_TIMEOUT)
    assert "rows 5, 9, 10 and 22" in banner.text() and "Drop rows" in banner.text()

    panel = window.panel
    summary = find(window, QLabel, "datasetSummary")
    choose(panel.csv_choices.missing_combo, "drop")
    qtbot.waitUntil(
        lambda: "4 rows with missing values dropped" in summary.text(), timeout=RUN_TIMEOUT
    )
    assert "26 samples" in summary.text() and "one-hot: 'colour' (3 values)" in summary.text()
    leave_out(panel, "id")
    qtbot.waitUntil(lambda: "left out: 'id'" in summary.text(), timeout=RUN_TIMEOUT)

    find(window, type(panel.epochs_spin), "epochsSpin").setValue(1)
    assert train_and_wait(qtbot, window) == "completed"
    assert window.last_result.config.dataset_options["exclude"] == ["id"]

    choose(panel.csv_choices.text_combo, "refuse")
    qtbot.waitUntil(
        lambda: "hold" in banner.text() and "'colour'" in banner.text(), timeout=RUN_TIMEOUT
    )
    assert "One-hot" in banner.text()


def test_the_network_choice_is_offered_for_images_and_trains_either(qtbot, window, tmp_path):
    panel = window.panel
    network = find(window, QComboBox, "networkCombo")
    assert not network.isEnabled()  # moons: an MLP, nothing to choose
    assert panel.build_config().architecture == "auto"
    window.open_dataset_file(str(write_images(tmp_path / "pictures")))
    qtbot.waitUntil(network.isEnabled, timeout=RUN_TIMEOUT)
    assert network.currentData() == "cnn"
    find(window, type(panel.epochs_spin), "epochsSpin").setValue(1)
    layers = {}
    for choice in ("cnn", "mlp"):
        choose(network, choice)
        assert panel.build_config().architecture == choice
        assert train_and_wait(qtbot, window) == "completed"
        layers[choice] = layer_kinds(window.last_result.model)
    assert "Conv2D" in layers["cnn"] and "Conv2D" not in layers["mlp"]
    assert "Dense" in layers["mlp"]

    window.select_dataset("iris")
    qtbot.waitUntil(lambda: not network.isEnabled(), timeout=RUN_TIMEOUT)
    assert panel.build_config().architecture == "auto"
