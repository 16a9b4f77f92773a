"""Reference data shipped with the project (IDCC list)."""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
IDCC_CSV = DATA_DIR / "idcc_conventions_collectives.csv"


def read_idcc_conventions(path: Path = IDCC_CSV) -> list[tuple[str, str]]:
    """(idcc, label) pairs from the CSV export (columns id, idcc, label)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (row["idcc"].strip().zfill(4), row["label"].strip()) for row in csv.DictReader(handle)
        ]


def load_idcc_conventions(model) -> int:
    """Create the missing conventions and refresh labels; returns how many rows were created."""
    existing = dict(model.objects.values_list("idcc", "label"))
    rows = read_idcc_conventions()
    model.objects.bulk_create(
        [model(idcc=idcc, label=label) for idcc, label in rows if idcc not in existing]
    )
    for idcc, label in rows:
        if idcc in existing and existing[idcc] != label:
            model.objects.filter(idcc=idcc).update(label=label)
    return sum(1 for idcc, _label in rows if idcc not in existing)
