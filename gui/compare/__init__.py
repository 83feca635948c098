"""The Compare tab: several runs of one problem trained as one job, raced on shared axes, with
a results table and a verdict."""

from gui.compare.view import CompareView

__all__ = ["CompareView"]
