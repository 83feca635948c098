"""The message banner above a tab's plots: one line or paragraph of info, warning or error.

A message never replaces the curves: it sits above them until dismissed or replaced, so a
failed run still shows what it drew. The main window and the Compare tab each have one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QToolButton

from gui.widgets.naming import named
from trainers import messages

SEVERITY_STYLE = {
    "info": "background: rgba(40, 120, 220, 40); border: 1px solid rgba(40, 120, 220, 120);",
    "warning": "background: rgba(230, 160, 20, 60); border: 1px solid rgba(230, 160, 20, 160);",
    "error": "background: rgba(220, 50, 50, 50); border: 1px solid rgba(220, 50, 50, 160);",
}


class MessageBanner(QFrame):
    """A dismissable message; `show_message(text, severity)` with info, warning or error.

    Its label is `label` (object name `<name>Label`), its close button `<name>CloseButton`.
    """

    def __init__(self, object_name: str = "messageFrame", parent=None) -> None:
        super().__init__(parent)
        named(self, object_name, "Message")
        stem = object_name.removesuffix("Frame")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = named(QLabel(), f"{stem}Label", "Message")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = named(QToolButton(), f"{stem}CloseButton", "Dismiss message")
        close.setText("\u2715")
        close.clicked.connect(self.hide)
        # A long message is shown cut; the whole of it (as far as it is kept) one click away.
        self.details_button = named(QToolButton(), f"{stem}DetailsButton", "The whole message")
        self.details_button.setText("Details...")
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.details = ""
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.about = ""  # what the message shown is about
        self.hide()

    def show_message(self, text: str, severity: str = "info", about: str = "") -> None:
        """Show `text`: info, warning or error. The curves below stay. `about` names what the
        message is about (e.g. "dataset"), so that `withdraw(about)` can take it back once it
        is no longer true. A message longer than `trainers.messages.MAX_SHOWN` is shown cut,
        with Details... for the whole of it (and it is kept in the message log)."""
        text = str(text)
        short, cut = messages.shortened(text)
        self.details = text[: messages.LOG_CAP] if cut else ""
        if cut:
            messages.keep_in_log(text)
        self.details_button.setVisible(cut)
        self.label.setText(short)
        self.label.setProperty("severity", severity)
        self.about = about
        self.setStyleSheet(f"#{self.objectName()} {{ {SEVERITY_STYLE[severity]} }}")
        self.show()

    def show_details(self) -> QMessageBox:
        """The whole message, in a box of its own (scrollable, selectable)."""
        box = QMessageBox(QMessageBox.Icon.Information, "Message", self.label.text(), parent=self)
        box.setObjectName("messageDetailsBox")
        box.setDetailedText(self.details)
        box.open()
        return box

    def withdraw(self, about: str) -> None:
        """Hide the message if it is about `about`: what it said is no longer true."""
        if self.about == about:
            self.hide()

    @property
    def severity(self) -> str:
        return str(self.label.property("severity") or "")
