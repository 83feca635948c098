"""Descent's Qt layer: the main window, its panels and plots, and the one training worker."""

from gui.main_window import MainWindow

__all__ = ["MainWindow"]
