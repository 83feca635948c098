"""Stable names for controls, so that tests and screen readers can find them."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def named(widget: W, object_name: str, accessible_name: str) -> W:
    """Give `widget` its `objectName` and accessible name; returns `widget`, for chaining."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible_name)
    return widget
