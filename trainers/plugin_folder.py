"""Where Descent looks for plugins, and the hint that says so: plain Python, no TensorFlow.

The folder is the user's config folder for "descent" (platformdirs) plus "plugins"; the config
validation names it when a run asks for an optimizer or loss the catalog does not have, since a
plugin is only ever loaded from there or from `--plugin FILE.py`, never because a file names it.
"""

from __future__ import annotations

from pathlib import Path


def plugin_folder() -> Path:
    """The folder whose `*.py` files are loaded as plugins at every start (it may not exist)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("descent", appauthor=False)) / "plugins"


def hint() -> str:
    """One sentence: where plugins load from."""
    return (
        f"Plugins load from {plugin_folder()} or with --plugin FILE.py; a model or a "
        "configuration file never loads one."
    )


__all__ = ["hint", "plugin_folder"]
