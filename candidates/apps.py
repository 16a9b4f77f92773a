from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesConfig(AppConfig):
    name = "candidates"
    verbose_name = _("Candidates and dossiers")

    def ready(self):
        from cqp.roles import Role, Space, register_space

        from .permissions import candidate_of

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
