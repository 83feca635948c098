"""The files the window remembers: those opened lately (File > Open recent) and, for each kind
of file dialog, the folder it last used, so the next dialog of that kind starts there.

Every file dialog of the window is made here (`file_dialog`, or `ask`, which opens it and calls
back with the path chosen): each starts in the folder last used for its kind (or, for a kind
never used yet, the folder used last for anything), and the path chosen is remembered when the
dialog is accepted. Data files, image folders, models and configurations also join the recent
list, newest first, at most `MAX_RECENT`; a file that has gone is dropped when the list is read.
The dialogs are window-modal and call back (`QDialog.open`), rather than blocking in `exec`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

RECENT_KINDS = {
    "data": "data file",
    "images": "image folder",
    "model": "model",
    "config": "configuration",
}
"""The kinds of file File > Open recent offers, and how the menu names each."""
MAX_RECENT = 10
RECENT_KEY = "files/recent"
FOLDER_KEY = "files/folder/{kind}"
ANY_FOLDER_KEY = "files/folder"
START_FOLDER = "descentStartFolder"  # a dialog property: the folder it was asked to start in


def recent_files(settings: QSettings) -> list[tuple[str, str]]:
    """(kind, path) of the files opened lately, newest first; those no longer there are
    dropped from the list."""
    try:
        stored = json.loads(str(settings.value(RECENT_KEY, "[]") or "[]"))
    except ValueError:  # written by hand, or damaged
        stored = []
    entries = [
        (str(kind), str(path))
        for kind, path in (e for e in stored if isinstance(e, list) and len(e) == 2)
        if kind in RECENT_KINDS and Path(str(path)).exists()
    ][:MAX_RECENT]
    if len(entries) != len(stored):
        settings.setValue(RECENT_KEY, json.dumps([list(e) for e in entries]))
    return entries


def remember(settings: QSettings, kind: str, path: str | Path) -> None:
    """`path` was opened as `kind`: its folder is where the next dialog of that kind starts,
    and a recent kind goes to the top of File > Open recent."""
    path = Path(path)
    folder = path.parent  # for a folder chosen too: the next one is likely a sibling
    settings.setValue(FOLDER_KEY.format(kind=kind), str(folder))
    settings.setValue(ANY_FOLDER_KEY, str(folder))
    if kind in RECENT_KINDS:
        entries = [(k, p) for k, p in recent_files(settings) if p != str(path)]
        entries.insert(0, (kind, str(path)))
        settings.setValue(RECENT_KEY, json.dumps([list(e) for e in entries[:MAX_RECENT]]))


def forget_recent(settings: QSettings) -> None:
    """Empty File > Open recent (the folders are kept)."""
    settings.setValue(RECENT_KEY, "[]")


def last_folder(settings: QSettings, kind: str) -> str:
    """The folder the last dialog of `kind` used (else the last of any kind, else ""); if it
    has gone since, the nearest folder above it that is still there."""
    for key in (FOLDER_KEY.format(kind=kind), ANY_FOLDER_KEY):
        folder = str(settings.value(key, "") or "")
        if folder:
            return str(next(p for p in (Path(folder), *Path(folder).parents) if p.is_dir()))
    return ""


def file_dialog(
    parent: QWidget,
    settings: QSettings,
    kind: str,
    title: str,
    *,
    pattern: str = "",
    folder: bool = False,
    save_name: str = "",
    start: str = "",
) -> QFileDialog:
    """A dialog of `kind` starting in its last folder: open a file (of `pattern`), choose an
    existing folder (`folder`), or name a file or a new folder to write (`save_name`, the name
    it suggests). It opens in `start` if given. The path chosen is remembered when it is
    accepted."""
    where = start or last_folder(settings, kind)
    dialog = QFileDialog(parent, title, where, pattern)
    dialog.setObjectName(f"{kind}FileDialog")
    dialog.setProperty(START_FOLDER, where)
    if save_name:
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.selectFile(save_name)
    elif folder:
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    else:
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.fileSelected.connect(lambda path: remember(settings, kind, path))
    return dialog


def ask(
    parent: QWidget,
    settings: QSettings,
    kind: str,
    title: str,
    chosen: Callable[[str], object],
    **options,
) -> QFileDialog:
    """Open `file_dialog(...)` window-modal; `chosen(path)` once a path is accepted."""
    dialog = file_dialog(parent, settings, kind, title, **options)
    dialog.fileSelected.connect(lambda path: chosen(path) if path else None)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    # Qt's own dialog, built as it opens, goes to the folder its last dialog of any kind used.
    if dialog.property(START_FOLDER):
        dialog.setDirectory(dialog.property(START_FOLDER))
    if options.get("save_name"):
        dialog.selectFile(options["save_name"])
    return dialog


class RecentMenu(QObject):
    """File > Open recent: the files of `recent_files`, rebuilt each time the menu opens; one
    chosen is opened as what it was (a dataset, a model, a configuration)."""

    def __init__(self, window, menu: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.menu = menu
        menu.setObjectName("recentMenu")
        menu.aboutToShow.connect(self.rebuild)
        self.rebuild()  # a menu with no entries would not open at all on some platforms

    def rebuild(self) -> None:
        self.menu.clear()
        entries = recent_files(self.window.settings)
        for kind, path in entries:
            action = self.menu.addAction(f"{Path(path).name}  ({RECENT_KINDS[kind]})")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, k=kind, p=path: self.open(k, p))
        if not entries:
            self.menu.addAction("No files opened yet").setEnabled(False)
            return
        self.menu.addSeparator()
        self.menu.addAction("Clear the list", lambda: forget_recent(self.window.settings))

    def open(self, kind: str, path: str) -> None:
        """Open `path` as `kind` again (and move it to the top of the list)."""
        window = self.window
        if not Path(path).exists():
            recent_files(window.settings)  # drops it
            window.show_message(f"{path} is not there any more: it left the recent list.", "info")
            return
        if kind == "config":
            window.open_configuration(path)
            return
        if kind == "model":
            window.panel.set_model_path(path)
        else:
            window.open_dataset_file(path)
        remember(window.settings, kind, path)
