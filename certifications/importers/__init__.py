"""Importers of référentiels from outside sources (France Compétences exports)."""

from .fiches import ImportFileError, iter_fiches
from .referentiels import FicheResult, ImportReport, Outcome, import_referentiels

__all__ = [
    "FicheResult",
    "ImportFileError",
    "ImportReport",
    "Outcome",
    "import_referentiels",
    "iter_fiches",
]
