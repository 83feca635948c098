"""A text browser for Markdown pages whose code grows and shrinks with its text.

Qt's Markdown reader gives every `code` span and code block the system's fixed font at a
fixed point size (9 pt here), written into the document itself: the text around it follows the
widget's font (the application's, which lecture mode zooms), the code did not. Here each
fixed-pitch fragment is set to the widget's size whenever the page or the font changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser


class MarkdownBrowser(QTextBrowser):
    """`show_markdown(text)`; code spans and blocks are always at the widget's font size."""

    def show_markdown(self, text: str) -> None:
        self.setMarkdown(text)
        self._fit_code()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_code()

    def code_sizes(self) -> list[float]:
        """The point size of every code fragment of the page, in order."""
        return [fmt.fontPointSize() for _start, _end, fmt in self._code()]

    def _code(self):
        """(start, end, format) of each fixed-pitch fragment of the page."""
        found = []
        block = self.document().begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                fmt = fragment.charFormat()
                if fmt.fontFixedPitch() or "monospace" in (fmt.fontFamilies() or []):
                    start = fragment.position()
                    found.append((start, start + fragment.length(), fmt))
                fragments += 1
            block = block.next()
        return found

    def _fit_code(self) -> None:
        size = QTextCharFormat()
        size.setFontPointSize(self.font().pointSizeF())
        cursor = QTextCursor(self.document())
        for start, end, _fmt in self._code():
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(size)


__all__ = ["MarkdownBrowser"]
