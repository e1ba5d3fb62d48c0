"""The per-file upload limit holds while the body is read, not after it is stored."""

import io

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from personas.upload_handlers import PerFileLimitUploadHandler, oversized_uploads

MB = 1024 * 1024


class DiskWrites(TemporaryFileUploadHandler):
    """Django's own disk handler, noting how many bytes of each file it wrote."""

    written: dict[str, int]

    def receive_data_chunk(self, raw_data, start):
        self.written[self.file_name] = self.written.get(self.file_name, 0) + len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def test_a_file_over_the_limit_is_dropped_while_it_is_read(rf, settings):
    settings.MAX_UPLOAD_MB = 1
    big, small = io.BytesIO(b"x" * (3 * MB)), io.BytesIO(b"chat")
    big.name, small.name = "big.txt", "small.txt"
    body = encode_multipart(BOUNDARY, {"files": [big, small]})
    request = rf.post("/p/me/files/")
    disk = DiskWrites(request)
    disk.written = {}
    handlers = [PerFileLimitUploadHandler(request), disk]
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    _, files = MultiPartParser(meta, io.BytesIO(body), handlers).parse()

    assert [f.name for f in files.getlist("files")] == ["small.txt"]
    assert oversized_uploads(request) == ["big.txt"]
    assert disk.written["big.txt"] <= MB  # never more than the limit reached the disk
