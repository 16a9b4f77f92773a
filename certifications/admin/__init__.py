from . import catalogue, cqp, decisions, referentiel  # noqa: F401  (registers the ModelAdmins)
