"""The candidates' fixtures (candidates, an open CQP, an evaluator) serve the security tests."""

from tests.candidates.conftest import candidate, evaluator, open_cqp, other_candidate

__all__ = ["candidate", "evaluator", "open_cqp", "other_candidate"]
