"""Files the window shows: the application icon."""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
ICON = ASSETS / "descent.svg"
