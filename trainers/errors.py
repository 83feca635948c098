"""The error types a user can meet: each message says what was wrong and what to do."""


class DescentError(Exception):
    """Base of the errors that carry a message written for the user, not a traceback."""


class DatasetError(DescentError, ValueError):
    """A dataset could not be loaded: names the file, the row or column, and what to do."""


class ConfigError(DescentError, ValueError):
    """A run configuration is invalid: names the setting, the value received and what fits."""


class TrainingError(DescentError, RuntimeError):
    """A run failed while training (divergence, a failed save); the history so far is kept."""
