"""Stable names for controls, so that tests and screen readers can find them."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, object_name: str, accessible_name: str, tip: str = "") -> W:
    """Give `widget` its `objectName`, accessible name and tooltip (`tip`, if any); returns
    `widget`, for chaining."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    if tip:
        widget.setToolTip(tip)
    return widget


def scrolled(widget: QWidget, min_width: int) -> QWidget:
    """`widget` in a vertical scroll area at least `min_width` wide (a side panel)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QScrollArea

    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(min_width)
    return scroll


def column(*items, margins: tuple[int, int, int, int] = (0, 0, 0, 0)) -> QWidget:
    """A widget holding `items` top to bottom: widgets, or (widget, stretch) pairs."""
    from PySide6.QtWidgets import QVBoxLayout

    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(*margins)
    for item in items:
        widget, stretch = item if isinstance(item, tuple) else (item, 0)
        layout.addWidget(widget, stretch)
    return holder
