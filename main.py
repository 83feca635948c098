"""Descent's single entry point: the window by default, headless sub-commands otherwise."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Run Descent; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from gui.app import run_app

    return run_app(argv)


if __name__ == "__main__":
    sys.exit(main())
