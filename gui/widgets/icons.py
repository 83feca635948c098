"""Colour icons that tie a list entry to the curve drawn in its colour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap


def swatch(color: QColor, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QIcon:
    """A 14-pixel line in `color` and pen `style`: the legend entry of a curve."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    pen = QPen(color, 3)
    pen.setStyle(style)
    painter.setPen(pen)
    painter.drawLine(0, 7, 14, 7)
    painter.end()
    return QIcon(pixmap)


def color_square(color: QColor, size: int = 12) -> QIcon:
    """A square filled with `color`, for a colour that is not a line style (a path's colour)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(color)
    return QIcon(pixmap)
