"""Models arrive with the candidates, evaluators and juries issues."""
