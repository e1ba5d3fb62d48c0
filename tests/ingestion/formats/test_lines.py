import pytest

from ingestion.formats import lines as lines_module
from ingestion.sources import document


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_lines_read_in_blocks_match_a_text_mode_read(tmp_path, monkeypatch, encoding):
    # Tiny blocks split "\r\n" pairs and multi-byte characters across block boundaries.
    monkeypatch.setattr(lines_module, "CHUNK_BYTES", 5)
    text = "1/2/20, 9:00 AM - Ana: olá 😄\r\nsecond\rthird\r\n\r\n1/2/20, 9:01 AM - Bo: ok\r"
    path = tmp_path / "chat.txt"
    path.write_bytes(text.encode(encoding) + b"\xff" * (encoding == "utf-8"))
    doc = document(path)
    lines = [line for batch in lines_module.iter_line_batches(doc) for line in batch]
    expected = doc.read_text().split("\n")
    assert lines == (expected[:-1] if expected[-1] == "" else expected)
