"""Help > Plugins: the plugins the window loaded, from where, their classes, and each failure
with its traceback; the plugin folder, with a button that opens it.

The window loads the plugin folder's plugins once the engine thread has imported TensorFlow
(`load_folder_plugins`, from `MainWindow._on_ready`), so a plugin's `import keras` costs
nothing and the first paint never waits for it.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from gui.widgets.naming import named
from trainers import plugins

EXTRA_FILES: list[str] = []
"""The files `main.py --plugin FILE.py` named for the window (set by `gui.app.run_app`)."""


def take_plugin_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """`argv` without its `--plugin FILE.py` / `--plugin=FILE.py` (Descent's, for the window),
    and those files. Qt has a `-plugin NAME` of its own: a name not ending in .py is left to it."""
    rest, files, words = [], [], iter(argv)
    for word in words:
        if word == "--plugin":
            value = next(words, "")
            if value.endswith(".py"):
                files.append(value)
                continue
            rest += [word, value] if value else [word]
            continue
        if word.startswith("--plugin=") and word.endswith(".py"):
            files.append(word.partition("=")[2])
            continue
        rest.append(word)
    return rest, files


def load_folder_plugins() -> list[plugins.Plugin]:
    """The plugin folder's plugins and `EXTRA_FILES`, loaded (a failure is a `Plugin` with
    its traceback)."""
    return plugins.load_plugins(EXTRA_FILES)


def summary(loaded: list[plugins.Plugin]) -> str:
    """Each plugin: its file, where from, its classes by catalog name; a failure's reason."""
    if not loaded:
        return "No plugins loaded."
    lines = []
    for plugin in loaded:
        lines.append(f"{plugin.path.name}  [{plugin.source}: {plugin.path}]")
        if plugin.ok:
            classes = ", ".join(f"{name} ({cls})" for name, cls in plugin.classes.items())
            lines.append(f"    {classes}")
        else:
            lines.append(f"    FAILED: {plugin.error.strip().splitlines()[-1]}")
    return "\n".join(lines)


def failures_text(loaded: list[plugins.Plugin]) -> str:
    """Every failed plugin's path and full traceback, and those of the runs one broke."""
    texts = [f"{p.path}\n{p.error}" for p in loaded if not p.ok]
    texts += [f"{p.path} broke a run:\n{text}" for p in loaded for text in p.broke]
    return "\n\n".join(texts)


def broken_run_message(message: str, result) -> str:
    """A failed run's message; where a plugin's optimizer or loss raised, it says so and
    keeps the traceback for Help > Plugins."""
    if result is None or not result.traceback:
        return message
    plugin = plugins.note_broken_run(result.config.optimizer, result.config.loss, result.traceback)
    if plugin is None:
        return message
    return f"{message} (plugin {plugin.path.name}: Help > Plugins shows the traceback)"


class PluginsDialog(QDialog):
    """The plugins loaded and the ones that failed, with their tracebacks."""

    def __init__(self, loaded: list[plugins.Plugin], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("pluginsDialog")
        self.setWindowTitle("Plugins")
        self.resize(720, 480)
        layout = QVBoxLayout(self)
        folder = plugins.plugin_folder()
        intro = QLabel(
            "A plugin is a .py file defining a keras.optimizers.Optimizer or keras.losses.Loss "
            "subclass. Descent loads those in the plugin folder at start, and those given "
            "with --plugin FILE.py on the command line; never one a model or a configuration "
            "names. `main.py check-plugin FILE.py` runs the checks our optimizers pass."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        row = QHBoxLayout()
        self.folder_label = named(QLabel(f"Plugin folder: {folder}"), "pluginFolderLabel",
                                  "Plugin folder")  # fmt: skip
        self.folder_label.setWordWrap(True)
        row.addWidget(self.folder_label, 1)
        self.open_button = named(QPushButton("Open folder"), "openPluginFolderButton",
                                 "Open the plugin folder")  # fmt: skip
        self.open_button.clicked.connect(self.open_folder)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        self.list_view = named(QPlainTextEdit(summary(loaded)), "pluginList", "Plugins loaded")
        self.list_view.setReadOnly(True)
        layout.addWidget(self.list_view, 1)
        details = failures_text(loaded)
        self.details = named(QPlainTextEdit(details), "pluginFailures", "Plugin tracebacks")
        self.details.setReadOnly(True)
        self.details.setVisible(bool(details))
        if details:
            layout.addWidget(QLabel("Failures, with their tracebacks:"))
        layout.addWidget(self.details, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def open_folder(self) -> bool:
        """Make the plugin folder if needed and open it in the file manager."""
        folder = plugins.plugin_folder()
        folder.mkdir(parents=True, exist_ok=True)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
