"""Small widgets and helpers that several of the window's panels share: stable names, colour
icons, the message banner, catalog forms and number cells."""

from gui.widgets.icons import color_square, swatch
from gui.widgets.naming import column, named, scrolled

__all__ = ["color_square", "column", "named", "scrolled", "swatch"]
