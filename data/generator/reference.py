"""Where the reference CSVs are: an explicit shared folder, the copy in the repo, or shared/ beside it."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

REPO_COPY = Path(__file__).resolve().parent.parent / "reference"
SIBLING_SHARED = Path(__file__).resolve().parent.parent.parent.parent / "shared"


def reference_file(name: str) -> Path:
    """The first existing copy of a reference file: $COCKPIT_SHARED_DIR/reference, data/reference,
    then ../shared/reference beside the repository."""
    candidates = []
    shared = os.environ.get("COCKPIT_SHARED_DIR", "").strip()
    if shared:
        candidates += [Path(shared) / "reference" / name, Path(shared) / name]
    candidates += [REPO_COPY / name, SIBLING_SHARED / "reference" / name]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"reference file {name} not found; looked in: " + ", ".join(map(str, candidates)))


def read_reference(name: str) -> pd.DataFrame:
    return pd.read_csv(reference_file(name), dtype={"county_adcode": str, "region_adcode": str})
