"""Bad input in the real window: a message names what is wrong, and the window stays usable.

The loaders' and the configuration's guarantees are proven in tests/trainers; here the point is
what a student sees: the message in the window, Train still enabled, the next good run working.
"""

import struct

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton, QSpinBox

from tests.files import npz_declaring
from tests.gui.test_main_window import RUN_TIMEOUT, find, train_and_wait


def forged_npz(path):
    """An archive whose x header declares 8 exabytes it does not hold."""
    path.write_bytes(npz_declaring((1000000000, 1000000000), payload=64))


def huge_png_folder(root):
    """Two classes; one image's header declares 100000 x 100000 pixels."""
    import tensorflow as tf

    small = tf.io.encode_png(np.zeros((8, 8, 3), np.uint8)).numpy()
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    huge = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4)
    for name, content in (("cats/a.png", small), ("dogs/b.png", small), ("dogs/huge.png", huge)):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)


def test_bad_files_of_every_kind_show_a_message_and_the_next_run_works(qtbot, window, tmp_path):
    enormous = tmp_path / "enormous.csv"
    enormous.write_text("a,b,label\n1,2,x\n3," + "7" * 200_000 + ",y\n5,6,x\n")
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("a,label\n1,oui\n2,très\n3,non\n".encode("latin-1"))
    forged = tmp_path / "forged.npz"
    forged_npz(forged)
    pictures = tmp_path / "pictures"
    huge_png_folder(pictures)
    cases = [
        (enormous, ["enormous.csv", "row 3", "131,072"]),
        (legacy, ["legacy.csv", "UTF-8", "row 3"]),
        (forged, ["forged.npz", "'x'", "damaged"]),
        (pictures, ["pictures", "dogs/huge.png", "100,000x100,000"]),
    ]
    for path, words in cases:
        window.open_dataset_file(str(path))
        # Choosing the file already reads it (off the window's thread) and says what is wrong.
        qtbot.waitUntil(lambda p=path: p.name in window.banner.label.text(), timeout=RUN_TIMEOUT)
        assert train_and_wait(qtbot, window) == "failed"
        text = window.banner.label.text()
        for word in words:
            assert word in text, f"{word!r} not in {text!r}"
        assert "Traceback" not in text and len(text) < 600
        assert window.banner.label.property("severity") == "error"
        assert find(window, QPushButton, "trainButton").isEnabled()
    window.select_dataset("iris")
    find(window, QSpinBox, "epochsSpin").setValue(2)
    assert train_and_wait(qtbot, window) == "completed"
    assert window.training.step_plot.buffer.n > 0


def test_a_bad_setting_is_refused_before_any_run_and_can_be_corrected(qtbot, window):
    window.select_dataset("iris")
    find(window, QSpinBox, "epochsSpin").setValue(2)
    hidden = find(window, QLineEdit, "hiddenLayersEdit")
    for bad, words in (("32, x", ["'x'", "whole numbers"]), ("0", ["1 to 100000", "0"])):
        hidden.setText(bad)
        with qtbot.assertNotEmitted(window.sig_run_finished):
            qtbot.mouseClick(find(window, QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
        text = window.banner.label.text()
        assert window.banner.isVisible() and "hidden layer" in text.lower()
        for word in words:
            assert word in text, f"{word!r} not in {text!r}"
        assert "Correct it in the side panel" in text
        assert not window.running and find(window, QPushButton, "trainButton").isEnabled()
    hidden.setText("8")
    assert train_and_wait(qtbot, window) == "completed"


def test_a_huge_message_is_shown_short_with_the_whole_of_it_in_details(
    qtbot, tmp_path, monkeypatch
):
    from gui.widgets.banner import MessageBanner
    from trainers import messages

    monkeypatch.setenv("DESCENT_LOG_DIR", str(tmp_path))
    banner = MessageBanner()
    qtbot.addWidget(banner)
    huge = "Unknown setting " + ", ".join(f"'k{i}'" for i in range(50_000))
    banner.show_message(huge, "error")
    assert len(banner.label.text()) <= messages.MAX_SHOWN
    assert "more characters" in banner.label.text()
    assert banner.details_button.isVisibleTo(banner)
    box = banner.show_details()
    qtbot.addWidget(box)
    assert box.detailedText() == huge  # under the log's cap: whole
    assert "'k49999'" in messages.log_path().read_text()
    banner.show_message("A short one.", "info")
    assert banner.label.text() == "A short one." and not banner.details_button.isVisibleTo(banner)
