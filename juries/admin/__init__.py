"""Admin of jury sessions, quorum rules and the documents sessions yield, for branch staff
(scoped to their branch).

Sessions are never edited through the form: members, agenda, convocation and cancellation
are small pages of their own, each calling one service.
"""

from . import certificates, rules, sessions  # noqa: F401  (registers the ModelAdmins)
