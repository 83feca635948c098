"""Descent's single entry point: the window by default, headless sub-commands otherwise.

`python main.py` opens the window; `python main.py list | train | compare | runs | help ...`
runs headless; `--version` prints the versions and `--self-test` checks the install (or the
packaged app). Which of these a command line asks for is decided by
`trainers.cli.commands.dispatch` before TensorFlow or Qt is imported, so a typo, `--version` or
`help` is answered at once and a word it does not know never opens a window.
"""

import sys


def main(argv: list[str] | None = None) -> int:
    """Run Descent; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from trainers.cli import commands

    what, message = commands.dispatch(argv)
    if what == commands.COMMAND:
        from trainers.cli import main as cli_main

        return cli_main(argv, draw_plots=_draw_plots, draw_figures=_draw_figures)
    if what == commands.VERSION:
        print("\n".join(commands.version_lines()))
        return 0
    if what in (commands.REFUSED, commands.NO_DISPLAY):
        print(message, file=sys.stderr)
        return 2
    if what == commands.SELF_TEST:
        from gui.selftest import self_test_main

        return self_test_main()
    from gui.app import run_app

    return run_app(argv)


def _draw_plots(result, stem) -> None:
    """`train --plots`: the window's own figure code, offscreen (Qt loads only here)."""
    from gui.exports import write_plot_images

    write_plot_images(result, stem)


def _draw_figures(figures, folder):
    """`benchmark`: its report's figures, drawn by the window's plotting, offscreen."""
    from gui.report_figures import draw_figures

    return draw_figures(figures, folder)


if __name__ == "__main__":
    sys.exit(main())
