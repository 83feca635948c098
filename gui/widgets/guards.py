"""Combo and spin boxes that do what the user meant: the mouse wheel scrolling a panel never
changes one it passes over, and a number typed out of a spin box's range says why it was not
taken instead of silently going back to the old value.

`guard_inputs(root)` guards every combo and spin box under `root` that exists now; forms that
make editors later (`gui.widgets.forms.ParamForm`) guard each one as they make it. A guarded
box takes focus on a click or Tab, not on the wheel (`Qt.StrongFocus`); unfocused, it hands
the wheel on to its parent (the scroll area then scrolls); focused, it turns as usual.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QSpinBox,
    QToolTip,
    QWidget,
)

TIP_MS = 8000
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _number(value: float) -> str:
    """1,000,000 and 32 as such, 0.001 and 1e-07 short."""
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def range_message(spin: QAbstractSpinBox) -> str:
    """What `spin` accepts and the value it kept, in one sentence."""
    name = (spin.accessibleName() or "This value").strip()
    name = name[:1].upper() + name[1:]
    low, high = _number(spin.minimum()), _number(spin.maximum())
    return f"{name} must be between {low} and {high}; kept {_number(spin.value())}."


def _typed_value(spin: QAbstractSpinBox, text: str) -> float | None:
    """The number `text` (the spin box's prefix and suffix removed) says, or None."""
    text = text.removeprefix(spin.prefix()).removesuffix(spin.suffix()).strip()
    text = text.replace(spin.locale().groupSeparator(), "")
    value, ok = spin.locale().toDouble(text)
    if ok:
        return value
    try:
        return float(text)
    except ValueError:
        return None


def refused(spin: QAbstractSpinBox, text: str) -> bool:
    """Whether `text` in `spin` would not be taken as it is (out of range, or not a number)."""
    if spin.specialValueText() and text == spin.specialValueText():
        return False
    value = _typed_value(spin, text)
    return value is None or not spin.minimum() <= value <= spin.maximum()


class InputGuard(QObject):
    """The event filter of a guarded combo or spin box (see the module docstring)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == QEvent.Type.Wheel and not watched.hasFocus():
            area = _scroll_area(watched)
            if area is None:
                event.ignore()  # Qt offers a wheel that is handled but not accepted upwards
            else:  # scroll the panel as if the box were not there
                QApplication.sendEvent(area.viewport(), event)
            return True
        if isinstance(watched, QSpinBox | QDoubleSpinBox):
            if kind == QEvent.Type.KeyPress:
                self._on_key(watched, event)
            elif kind == QEvent.Type.FocusOut:
                self._check(watched, watched.lineEdit().text())
        return False

    def _on_key(self, spin: QAbstractSpinBox, event) -> None:
        if event.key() in ENTER_KEYS:
            self._check(spin, spin.lineEdit().text())
        elif event.text() and event.text().isprintable():
            # A key the spin box's validator may swallow (a digit past its maximum): say why.
            edit = spin.lineEdit()
            text = edit.text()
            if edit.hasSelectedText():
                start = edit.selectionStart()
                text = text[:start] + text[start + len(edit.selectedText()) :]
            else:
                start = edit.cursorPosition()
            typed = text[:start] + event.text() + text[start:]
            value = _typed_value(spin, typed)
            if value is not None and not spin.minimum() <= value <= spin.maximum():
                show_range_message(spin)

    @staticmethod
    def _check(spin: QAbstractSpinBox, text: str) -> None:
        if refused(spin, text):
            show_range_message(spin)


def show_range_message(spin: QAbstractSpinBox) -> None:
    """Say beside `spin` what it accepts and which value it kept."""
    below = spin.mapToGlobal(QPoint(0, spin.height()))
    QToolTip.showText(below, range_message(spin), spin, spin.rect(), TIP_MS)


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


_GUARD: InputGuard | None = None


def guard(widget: QWidget) -> None:
    """Guard one combo or spin box (anything else is left alone)."""
    global _GUARD
    if not isinstance(widget, QComboBox | QAbstractSpinBox):
        return
    if _GUARD is None:
        _GUARD = InputGuard()
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.removeEventFilter(_GUARD)  # guarding twice filters once
    widget.installEventFilter(_GUARD)


def guard_inputs(root: QWidget) -> None:
    """Guard every combo and spin box under `root` (and `root` itself)."""
    guard(root)
    for widget in root.findChildren(QComboBox) + root.findChildren(QAbstractSpinBox):
        guard(widget)
