from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JuriesConfig(AppConfig):
    name = "juries"
    verbose_name = _("Juries and certificates")

    def ready(self):
        from candidates.panels import register_admin_dossier_section, register_dossier_panel
        from cqp.personal_data import register
        from cqp.roles import Role, Space, register_space

        from .admin.dossier_section import jury_section
        from .panels import documents_panel
        from .personal_data import JURIES
        from .selectors import sits_on_a_jury

        register_space(
            Space(
                role=Role.JURY_MEMBER,
                title=_("Jury"),
                description=_("The jury sessions you sit on, their dossiers and your votes."),
                url_name="juries:session_list",
                includes=sits_on_a_jury,
                order=30,
            )
        )
        # The dossier page shows the certificates and attestations (candidates cannot import
        # the juries).
        register_dossier_panel(documents_panel)
        # And the dossier's admin page its sessions, decisions and documents.
        register_admin_dossier_section(jury_section)
        # A person's data: decisions on their dossiers, their certificates.
        register(JURIES)
