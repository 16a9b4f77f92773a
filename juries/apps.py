from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JuriesConfig(AppConfig):
    name = "juries"
    verbose_name = _("Juries and certificates")

    def ready(self):
        from cqp.roles import Role, Space, register_space

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
