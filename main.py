"""Descent's single entry point: the window by default, headless sub-commands otherwise.

`python main.py` opens the window; `python main.py list | train ...` runs headless;
`python main.py --self-test` checks the install (or the packaged app) and exits. The window's
path must not import TensorFlow before the window is up, so sub-commands are told apart by name
before anything from `trainers` is imported.
"""

import sys

COMMANDS = {"list", "train", "compare", "runs", "-h", "--help"}
SELF_TEST = "--self-test"


def main(argv: list[str] | None = None) -> int:
    """Run Descent; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        from trainers.cli import main as cli_main

        return cli_main(argv, draw_plots=_draw_plots)
    if argv and argv[0] == SELF_TEST:
        from gui.selftest import self_test_main

        return self_test_main()
    from gui.app import run_app

    return run_app(argv)


def _draw_plots(result, stem) -> None:
    """`train --plots`: the window's own figure code, offscreen (Qt loads only here)."""
    from gui.exports import write_plot_images

    write_plot_images(result, stem)


if __name__ == "__main__":
    sys.exit(main())
