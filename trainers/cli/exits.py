"""The command line's exit statuses, one module that every command returns them from.

0: done. 1: a run that failed or diverged (its history is still written), or a save that failed
after training. 2: bad input (a one-paragraph message, no traceback).
"""

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
