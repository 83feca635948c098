"""The Landscape tab: the loss along lines and planes through the side panel's network's weight
space, and several optimizers' paths on one shared plane, drawn as they train."""

from gui.landscape.view import LandscapeView

__all__ = ["LandscapeView"]
