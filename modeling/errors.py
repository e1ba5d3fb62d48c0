"""Errors the modeling package raises; callers catch these rather than TensorFlow's."""


class ModelingError(Exception):
    """Base class for every error raised by modeling."""


class NoTrainingData(ModelingError, ValueError):
    """There are no usable (non-empty) pairs to train on."""


class ArtifactError(ModelingError):
    """A model artifact is missing, incomplete, corrupt or of an unknown format."""


class ConfigError(ModelingError, ValueError):
    """A configuration value or override is unknown or out of range."""
