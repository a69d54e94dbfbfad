"""The exit codes of every `nexwave-sync` command, in one place."""

import signal

EXIT_OK, EXIT_ABORTED, EXIT_ROWS_FAILED = 0, 1, 2
# reconcile: drift remains beyond the tolerance, or rows failed.
EXIT_DRIFT = EXIT_ROWS_FAILED
# Stopped by a signal: 128 + its number, as shells report it (130 Ctrl-C, 143 SIGTERM).
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
