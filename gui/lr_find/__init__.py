"""The Learning rate tab: the range test of the side panel's model and optimizer, live, with
the three rules' suggestions and "Use this rate"."""

from gui.lr_find.view import RangeTestView

__all__ = ["RangeTestView"]
