"""Lecture mode: the window's View menu, for a room looking at a projector.

Zoom scales the whole window together: the application font (every label, button and table),
the widgets that set a font of their own (the update rule's monospace), and every plot's title,
axis labels, tick labels, legend and line widths (`gui.plots.theme`). The high-contrast theme
is a black, white and yellow palette with thicker plot lines. Both are remembered. Full screen
and hiding the side panel are for the lecture at hand and are not.

`shortcuts_html` lists every keyboard shortcut the window has, read from its actions, for
Help > Keyboard shortcuts.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QScrollArea, QWidget

ZOOM_STEPS = (0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5)
ZOOM_KEY = "view/zoom"
CONTRAST_KEY = "view/high_contrast"
BASE_WIDTH = "descentBaseWidth"  # a scroll area's property: its minimum width at 100%
BASE_PT = "descentBasePt"  # a widget property: the size of its own font at 100%
_app_look: dict = {}  # the application's own font and palette, read once before any change


def high_contrast_palette() -> QPalette:
    """White text on black, yellow for what is selected or a link; greyed when disabled."""
    black, white, yellow, grey = (
        QColor(0, 0, 0),
        QColor(255, 255, 255),
        QColor(255, 230, 0),
        QColor(170, 170, 170),
    )
    palette = QPalette()
    roles = QPalette.ColorRole
    for role in (roles.Window, roles.Base, roles.Button, roles.ToolTipBase):
        palette.setColor(role, black)
    palette.setColor(roles.AlternateBase, QColor(28, 28, 28))
    for role in (
        roles.WindowText,
        roles.Text,
        roles.ButtonText,
        roles.ToolTipText,
        roles.BrightText,
    ):
        palette.setColor(role, white)
    for role in (roles.Highlight, roles.Link, roles.LinkVisited):
        palette.setColor(role, yellow)
    palette.setColor(roles.HighlightedText, black)
    palette.setColor(roles.PlaceholderText, grey)
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, grey)
    for role in (roles.Light, roles.Midlight, roles.Mid, roles.Dark, roles.Shadow):
        palette.setColor(role, white if role in (roles.Light, roles.Midlight) else grey)
    return palette


def _original() -> dict:
    if not _app_look:
        _app_look["font"] = QApplication.font()
        _app_look["palette"] = QApplication.palette()
    return _app_look


class LectureMode(QObject):
    """The View menu of `window`: zoom in, out and back, full screen, the side panel `side`
    shown or hidden, and the high-contrast theme."""

    sig_look_changed = Signal()
    """The zoom or the theme changed, and everything shown has followed."""

    def __init__(self, window, menu: QMenu, side: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.side = side
        self.settings: QSettings = window.settings
        menu.setObjectName("viewMenu")
        self.zoom_in_action = self._action(
            menu,
            "Zoom &in",
            "zoomInAction",
            (QKeySequence.StandardKey.ZoomIn, "Ctrl+="),
            self.zoom_in,
        )
        self.zoom_out_action = self._action(
            menu, "Zoom &out", "zoomOutAction", (QKeySequence.StandardKey.ZoomOut,), self.zoom_out
        )
        self.zoom_reset_action = self._action(
            menu, "&Actual size", "zoomResetAction", ("Ctrl+0",), lambda: self.set_zoom(1.0)
        )
        menu.addSeparator()
        self.full_screen_action = self._action(
            menu,
            "&Full screen",
            "fullScreenAction",
            (QKeySequence.StandardKey.FullScreen, "F11"),
            self.set_full_screen,
            checkable=True,
        )
        self.side_panel_action = self._action(
            menu, "&Side panel", "sidePanelAction", ("Ctrl+B",), side.setVisible, checkable=True
        )
        self.side_panel_action.setChecked(True)
        self.contrast_action = self._action(
            menu,
            "&High contrast",
            "highContrastAction",
            ("Ctrl+Shift+H",),
            self.set_high_contrast,
            checkable=True,
        )
        self.zoom = 1.0
        self.high_contrast = False
        window.installEventFilter(self)  # the side panel's share follows the window's width
        self._restore()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize and self.zoom != 1.0:
            self._widen_side_panel()
        return False

    def _action(self, menu, text, name, keys, slot, checkable=False) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in keys])
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        menu.addAction(action)
        self.window.addAction(action)  # works in full screen, with the menu bar out of sight
        return action

    def _restore(self) -> None:
        try:
            zoom = float(self.settings.value(ZOOM_KEY, 1.0))
        except (TypeError, ValueError):  # written by hand, or damaged
            zoom = 1.0
        contrast = str(self.settings.value(CONTRAST_KEY, "false")).lower() == "true"
        self.contrast_action.blockSignals(True)
        self.contrast_action.setChecked(contrast)
        self.contrast_action.blockSignals(False)
        self.zoom = min(max(zoom, ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        self.high_contrast = contrast
        if self.zoom != 1.0 or contrast or _app_look:
            self.apply()

    def _widen_side_panel(self) -> None:
        """Give the side panel room for its zoomed text: its scroll area never scrolls
        sideways, so a panel left at its 100% width would cut every line off at the right.
        At most 40% of the window (or the 100% width, if more) goes to it."""
        scroll = self.side.findChild(QScrollArea)
        if scroll is None:
            return
        base = scroll.property(BASE_WIDTH) or scroll.minimumWidth()
        scroll.setProperty(BASE_WIDTH, base)
        cap = max(base, int(0.4 * self.window.width()))
        scroll.setMinimumWidth(min(int(base * self.zoom), cap))

    # ------------------------------------------------------------------------------ changes
    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self.zoom + 1e-9), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        self.set_zoom(
            next((z for z in reversed(ZOOM_STEPS) if z < self.zoom - 1e-9), ZOOM_STEPS[0])
        )

    def set_zoom(self, zoom: float) -> None:
        """Show everything at `zoom` (1.0 is 100%, within `ZOOM_STEPS`), and remember it."""
        self.zoom = min(max(float(zoom), ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        self.settings.setValue(ZOOM_KEY, self.zoom)
        self.apply()
        self.window.show_status(f"Zoom {self.zoom:.0%}")

    def set_high_contrast(self, on: bool) -> None:
        """White on black with yellow highlights and thicker plot lines; remembered."""
        self.high_contrast = bool(on)
        self.settings.setValue(CONTRAST_KEY, self.high_contrast)
        self.apply()

    def set_full_screen(self, on: bool) -> None:
        if on:
            self.window.showFullScreen()
        else:
            self.window.showNormal()

    def apply(self) -> None:
        """Bring the application and every plot of the window to the zoom and theme."""
        from gui.plots import theme  # pyqtgraph: loaded by now, or soon, for the plots

        original = _original()
        QApplication.setPalette(
            high_contrast_palette() if self.high_contrast else original["palette"]
        )
        font = QApplication.font()
        font.setPointSizeF(original["font"].pointSizeF() * self.zoom)
        QApplication.setFont(font)
        for widget in self.window.findChildren(QWidget):
            if widget.testAttribute(Qt.WidgetAttribute.WA_SetFont):
                base = widget.property(BASE_PT) or widget.font().pointSizeF()
                widget.setProperty(BASE_PT, base)
                own = widget.font()
                own.setPointSizeF(base * self.zoom)
                widget.setFont(own)
        self._widen_side_panel()
        theme.set_look(self.zoom, self.high_contrast, original["font"].pointSizeF())
        theme.redress_all(self.window)
        self.zoom_out_action.setEnabled(self.zoom > ZOOM_STEPS[0])
        self.zoom_in_action.setEnabled(self.zoom < ZOOM_STEPS[-1])
        self.sig_look_changed.emit()


# ============================================================================== shortcuts
def _keys(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def shortcut_rows(window) -> list[tuple[str, str, str]]:
    """(where, what, keys) of every action of `window` that has a shortcut. The Loss surfaces
    tab's come from `gui.surfaces.view.SHORTCUTS` until the tab is first opened."""
    surfaces = getattr(window, "surface_view", None)
    rows = []
    for action in window.findChildren(QAction):
        if not action.shortcuts() or not action.text():
            continue
        where = (
            "Loss surfaces" if surfaces is not None and action.parent() is surfaces else "Window"
        )
        rows.append((where, action.text().replace("&", ""), _keys(action)))
    if surfaces is None:
        from gui.surfaces.view import SHORTCUTS

        for _, text, key in SHORTCUTS:
            native = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
            rows.append(("Loss surfaces", text, native))
    return sorted(set(rows), key=lambda row: (row[0] != "Window", row[1]))


def shortcuts_html(window) -> str:
    """Every shortcut of `window` as a table, grouped by where it works."""
    lines = ["<table cellspacing='4'>"]
    where = None
    for place, what, keys in shortcut_rows(window):
        if place != where:
            where = place
            title = "Anywhere in the window" if place == "Window" else f"On the {place} tab"
            lines.append(f"<tr><td colspan='2'><b>{escape(title)}</b></td></tr>")
        lines.append(f"<tr><td>{escape(what)}</td><td><tt>{escape(keys)}</tt></td></tr>")
    lines.append("</table>")
    return "".join(lines)
