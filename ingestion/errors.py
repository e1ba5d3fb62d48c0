"""The one error family the ingestion package raises."""


class IngestionError(ValueError):
    """Input that cannot be read; the message says why in words a user understands."""


class UnsupportedFormat(IngestionError):
    pass


class UnsafeArchive(IngestionError):
    pass


class EmptyExport(IngestionError):
    pass
