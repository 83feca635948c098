"""The Runs tab: the run library as a sortable, filterable table, with the selected runs'
curves overlaid, and renaming, tagging and deleting."""

from gui.runs.view import RunsView

__all__ = ["RunsView"]
