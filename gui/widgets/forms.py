"""Forms generated from the engine's catalog: one row per hyperparameter or option.

Each `Param` of `trainers.catalog` becomes a spin box (range from the Param, tooltip with its
meaning and valid range), a check box or a combo. A value outside an open bound (a learning rate
of 0, a beta of 1) can be typed: the row turns red at once and the run is refused with the
engine's own message, so the form and the CLI say the same thing. A value outside the closed
range is not taken, and the box says why beside it (`gui.widgets.guards`); the mouse wheel
changes an editor only once it has focus.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from gui.widgets.guards import guard

UI_MAX = 1e6


def camel(name: str) -> str:
    """`learning_rate` -> `learningRate`, `beta_1` -> `beta1`: for objectNames."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class ScientificSpinBox(QDoubleSpinBox):
    """A spin box that shows 0.001 and 1e-07 as such, and steps by about 10% of the value."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        if math.isfinite(value) and self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos


class ParamForm(QWidget):
    """Rows of editors for a tuple of catalog `Param`s; `values()` gives name -> value."""

    sig_changed = Signal()
    """Any value in the form changed."""

    def __init__(self, params=(), owner: str = "", parent=None) -> None:
        super().__init__(parent)
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.editors: dict[str, QWidget] = {}
        self.params = {}
        self.owner = owner
        self.set_params(params, owner)

    def set_params(self, params, owner: str = "") -> None:
        """Rebuild the rows for `params`, keeping nothing of the previous ones."""
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.editors.clear()
        self.params = {p.name: p for p in params}
        self.owner = owner
        for p in params:
            editor = self._editor(p)
            label = QLabel(p.name)
            label.setToolTip(p.help)
            label.setBuddy(editor)
            self.layout_.addRow(label, editor)
            self.editors[p.name] = editor

    def _editor(self, p) -> QWidget:
        tip = f"{p.help}\nValid: {p.range_text()}. Default: {p.default}."
        if p.kind == "bool":
            editor = QCheckBox()
            editor.setChecked(bool(p.default))
            editor.setObjectName(f"{camel(p.name)}Check")
            editor.toggled.connect(self._on_changed)
        elif p.kind == "choice":
            editor = QComboBox()
            editor.addItems(list(p.choices))
            editor.setCurrentText(str(p.default))
            editor.setObjectName(f"{camel(p.name)}Combo")
            editor.currentTextChanged.connect(self._on_changed)
        elif p.kind == "int":
            editor = QSpinBox()
            editor.setRange(
                int(p.low if p.low is not None else -(2**31) + 1),
                int(min(p.high if p.high is not None else 2**31 - 1, 2**31 - 1)),
            )
            editor.setValue(int(p.default))
            editor.setObjectName(f"{camel(p.name)}Spin")
            editor.valueChanged.connect(self._on_changed)
        else:
            editor = ScientificSpinBox()
            # The closed hull of the valid range: an open bound itself can be typed, and is
            # then refused with the engine's message (see the module docstring).
            editor.setRange(
                p.low if p.low is not None else -UI_MAX, p.high if p.high is not None else UI_MAX
            )
            editor.setValue(float(p.default))
            editor.setObjectName(f"{camel(p.name)}Spin")
            editor.valueChanged.connect(self._on_changed)
        editor.setToolTip(tip)
        editor.setAccessibleName(p.name.replace("_", " "))
        editor.setAccessibleDescription(p.help)
        guard(editor)
        return editor

    def _on_changed(self, *_):
        self._mark_invalid()
        self.sig_changed.emit()

    def _mark_invalid(self) -> None:
        for name, editor in self.editors.items():
            try:
                self.params[name].check(self._value(editor), self.owner)
                editor.setStyleSheet("")
                editor.setToolTip(editor.toolTip().split("\n\u26a0")[0])
            except ValueError as exc:
                editor.setStyleSheet("background-color: rgba(220, 50, 50, 90);")
                base = editor.toolTip().split("\n\u26a0")[0]
                editor.setToolTip(f"{base}\n\u26a0 {exc}")

    @staticmethod
    def _value(editor: QWidget):
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentText()
        return editor.value()

    def values(self) -> dict:
        return {name: self._value(editor) for name, editor in self.editors.items()}

    def set_values(self, values: dict) -> None:
        for name, value in values.items():
            editor = self.editors.get(name)
            if editor is None:
                continue
            try:
                if isinstance(editor, QCheckBox):
                    editor.setChecked(str(value).lower() in ("true", "1"))
                elif isinstance(editor, QComboBox):
                    editor.setCurrentText(str(value))
                elif isinstance(editor, QSpinBox):
                    editor.setValue(int(float(value)))
                else:
                    editor.setValue(float(value))
            except (TypeError, ValueError):
                continue  # a stale remembered value: keep the default
        self._mark_invalid()
