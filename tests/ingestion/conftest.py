from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ingestion"
SEED = ROOT / ".." / "shared" / "corpora" / "seed-notebook"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def seed() -> Path:
    return SEED
