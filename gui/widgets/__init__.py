"""Small widgets and helpers that several of the window's panels share: stable names, colour
icons, the message banner, catalog forms, number cells, and combo and spin boxes guarded from a
passing mouse wheel and from values typed out of range."""

from gui.widgets.guards import guard_inputs
from gui.widgets.icons import color_square, swatch
from gui.widgets.naming import column, named, scrolled

__all__ = ["color_square", "column", "guard_inputs", "named", "scrolled", "swatch"]
