from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = _("Candidates and dossiers")

    def ready(self):
        from certifications.permissions import has_accreditation
        from cqp.personal_data import register
        from cqp.roles import Role, Space, register_space

        from .permissions import candidate_of
        from .personal_data import CANDIDATE

        register_space(
            Space(
                role=Role.CANDIDATE,
                title=_("My dossiers"),
                description=_("Your CQP dossiers, your pieces and the units you hold."),
                url_name="candidates:dossier_list",
                includes=lambda user: candidate_of(user) is not None,
                order=10,
            )
        )
        # Replaces the catalogue's evaluator space: the assigned dossiers come first.
        register_space(
            Space(
                role=Role.EVALUATOR,
                title=_("Evaluator"),
                description=_("The dossiers assigned to you and your accreditations."),
                url_name="evaluators:dossier_list",
                includes=has_accreditation,
                order=20,
            )
        )
        register(CANDIDATE)
