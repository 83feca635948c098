"""Controls do what the user meant, in the real window: the wheel scrolling the side panel
changes no box it passes over, and a number typed out of range says why it was not taken."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QToolTip


def wheel_down(widget) -> None:
    """One notch of the mouse wheel over `widget`, as the mouse sends it."""
    inside = QPointF(5, 5)
    event = QWheelEvent(
        inside,
        QPointF(widget.mapToGlobal(QPoint(5, 5))),
        QPoint(),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def side_scroll(window) -> QScrollArea:
    area = window.panel.parentWidget().parentWidget()
    assert isinstance(area, QScrollArea) and area.widget() is window.panel
    return area


def test_the_wheel_scrolls_the_panel_past_combos_and_spins_it_does_not_change(qtbot, replayed):
    panel = replayed.panel
    bar = side_scroll(replayed).verticalScrollBar()
    assert bar.maximum() > 0  # at 1024x700 the panel scrolls
    panel.batch_spin.setValue(32)
    schedule_before = panel.schedule_combo.currentText()
    learning_rate = panel.optimizer_form.editors["learning_rate"]  # made by a form, later
    rate_before = learning_rate.value()
    for widget in (panel.schedule_combo, panel.batch_spin, learning_rate):
        assert not widget.hasFocus()
        scrolled_from = bar.value()
        wheel_down(widget)
        assert bar.value() > scrolled_from or bar.value() == bar.maximum()
    assert panel.schedule_combo.currentText() == schedule_before
    assert panel.batch_spin.value() == 32
    assert learning_rate.value() == rate_before
    assert bar.value() > 0
    # A box the user has clicked into (focused) still turns with the wheel.
    panel.batch_spin.setFocus()
    qtbot.waitUntil(panel.batch_spin.hasFocus)
    wheel_down(panel.batch_spin)
    assert panel.batch_spin.value() == 31


def test_a_new_optimizers_form_is_guarded_too(replayed):
    panel = replayed.panel
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("momentum"))
    momentum = panel.optimizer_form.editors["momentum"]
    before = momentum.value()
    wheel_down(momentum)
    assert momentum.value() == before
    assert momentum.focusPolicy() == Qt.FocusPolicy.StrongFocus


def test_the_compare_choices_are_guarded(replayed):
    target = replayed.compare_view.choices.target_spin
    target.setValue(0.5)
    wheel_down(target)
    assert target.value() == 0.5


def hide_tip(qtbot) -> None:
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())


def type_into(qtbot, spin, text: str) -> None:
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_a_batch_size_typed_out_of_range_says_why_it_was_kept(qtbot, replayed):
    spin = replayed.panel.batch_spin
    spin.setValue(32)
    type_into(qtbot, spin, "0")
    assert spin.value() == 32
    assert QToolTip.isVisible()
    assert QToolTip.text() == "Batch size must be between 1 and 1,000,000; kept 32."
    hide_tip(qtbot)
    # A digit past the maximum is refused as it is typed: that says why as well.
    type_into(qtbot, spin, "2000000")
    assert spin.value() == 200_000
    assert QToolTip.text() == "Batch size must be between 1 and 1,000,000; kept 200,000."
    hide_tip(qtbot)
    type_into(qtbot, spin, "64")  # in range: taken, and nothing to say
    assert spin.value() == 64 and not QToolTip.isVisible()


def test_a_form_number_typed_out_of_range_says_why(qtbot, replayed):
    panel = replayed.panel
    panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("adam"))
    beta = panel.optimizer_form.editors["beta_1"]
    before = beta.value()
    type_into(qtbot, beta, "1.5")
    assert beta.value() == before
    assert QToolTip.text() == f"Beta 1 must be between 0 and 1; kept {before:g}."
    hide_tip(qtbot)
    validation = panel.validation_spin
    validation.setValue(0.2)
    type_into(qtbot, validation, "5")
    assert validation.value() == 0.2
    assert QToolTip.text() == "Validation fraction must be between 0 and 0.9; kept 0.2."
