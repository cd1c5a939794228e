"""Shared fixtures: the repo's seeds and, when present, ../shared/bench."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The suite (and the runs it starts in subprocesses) keeps derived tables in a
# cache of its own, not in the user's: it starts empty, so the derivation is
# exercised too, and it is gone afterwards.
_CACHE = tempfile.mkdtemp(prefix="normalize-test-cache-")
os.environ["NORMALIZE_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
BENCH = REPO.parent / "shared" / "bench"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The five seed documents by file stem ("000_9628bfd9e19983d4", ...)."""
    return {p.stem: p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    """../shared/bench, or skip the test cleanly when it is absent."""
    if not BENCH.is_dir():
        pytest.skip("../shared/bench is not present")
    return BENCH
