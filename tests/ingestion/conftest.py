from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ingestion"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
