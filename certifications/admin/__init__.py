from . import catalogue, cqp, referentiel  # noqa: F401  (registers the ModelAdmins)
