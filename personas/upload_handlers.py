"""The per-file upload limit, enforced while the request body is read."""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

MB = 1024 * 1024


def oversized_uploads(request) -> list[str]:
    """Names of the files dropped from this request for passing the per-file limit."""
    return request.__dict__.setdefault("oversized_uploads", [])


class PerFileLimitUploadHandler(FileUploadHandler):
    """First in the chain: counts each file's bytes as they are parsed and drops the file the
    moment it passes MAX_UPLOAD_MB (Django then deletes what the next handler wrote), so no
    more than the limit of any file reaches the disk. The view names the dropped files."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.MAX_UPLOAD_MB * MB:
            oversized_uploads(self.request).append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler makes the file
