"""Choices the window remembers between launches, declared once as a table.

Each `Setting` names a `QSettings` key, the attribute of the panel that holds the widget, and
the default. `save(owner, table, settings)` writes every widget's value and `restore(owner,
table, settings)` sets them back in the table's order (a combo that decides another's contents
comes first), skipping any stored value that no longer fits (a removed optimizer, a damaged
file): the widget then keeps its default. A key may name another setting's current value in
braces (`form/hyper/{optimizer}`), so each optimizer remembers its own hyperparameters.

How a widget is read and written follows its type: a combo by its item data (or its text
with `by_text`), a spin box or slider by its value, a check box by its state, a line edit by
its text, a `ParamForm` as JSON of its values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
)

from gui.widgets.forms import ParamForm


@dataclass(frozen=True)
class Setting:
    """One remembered choice: `key` in QSettings, the widget at `owner.<widget>`, `default`."""

    key: str
    widget: str
    default: Any = None
    by_text: bool = False  # a combo remembered by its text rather than its item data
    name: str = ""  # what `{name}` in other keys stands for (this setting's current value)


def _read(widget, setting: Setting) -> Any:
    if isinstance(widget, ParamForm):
        return json.dumps(widget.values())
    if isinstance(widget, QComboBox):
        return widget.currentText() if setting.by_text else widget.currentData()
    if isinstance(widget, QSpinBox | QDoubleSpinBox | QAbstractSlider):
        return widget.value()
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    if isinstance(widget, QLineEdit):
        return widget.text()
    raise TypeError(f"No rule to remember a {type(widget).__name__} ({setting.key})")


def _write(widget, setting: Setting, raw: Any) -> bool:
    """Set `widget` from the stored `raw` value; False (widget untouched) if it does not fit."""
    try:
        if isinstance(widget, ParamForm):
            values = json.loads(raw)
            if not isinstance(values, dict):
                return False
            widget.set_values(values)
        elif isinstance(widget, QComboBox):
            index = widget.findText(str(raw)) if setting.by_text else widget.findData(str(raw))
            if index < 0:
                return False
            widget.setCurrentIndex(index)
        elif isinstance(widget, QSpinBox | QAbstractSlider):
            widget.setValue(int(raw))
        elif isinstance(widget, QDoubleSpinBox):
            widget.setValue(float(raw))
        elif isinstance(widget, QAbstractButton):
            widget.setChecked(str(raw).lower() == "true")
        elif isinstance(widget, QLineEdit):
            widget.setText(str(raw))
    except (TypeError, ValueError):  # a value written by hand, or by an older Descent
        return False
    return True


def _key(setting: Setting, names: dict[str, Any]) -> str | None:
    try:
        return setting.key.format(**names)
    except (KeyError, IndexError):
        return None


def save(owner: Any, table: Sequence[Setting], settings: QSettings) -> None:
    """Write the current value of every widget of `table` found on `owner`."""
    names: dict[str, Any] = {}
    for setting in table:
        value = _read(getattr(owner, setting.widget), setting)
        if setting.name:
            names[setting.name] = value
        key = _key(setting, names)
        if key is not None and value is not None:
            settings.setValue(key, value)


def restore(owner: Any, table: Sequence[Setting], settings: QSettings) -> None:
    """Set every widget of `table` from `settings` (or its default), in the table's order."""
    names: dict[str, Any] = {}
    for setting in table:
        widget = getattr(owner, setting.widget)
        key = _key(setting, names)
        raw = settings.value(key) if key is not None else None
        if raw is None or not _write(widget, setting, raw):
            if setting.default is not None:
                _write(widget, setting, setting.default)
        if setting.name:
            names[setting.name] = _read(widget, setting)
