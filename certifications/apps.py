from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationsConfig(AppConfig):
    name = "certifications"
    verbose_name = _("Catalogue of CQPs")

    def ready(self):
        from cqp.roles import Role, Space, register_space

        from . import permissions

        register_space(
            Space(
                role=Role.BRANCH_STAFF,
                title=_("Branch management"),
                description=_("CQPs, référentiels, providers, evaluators and juries."),
                url_name="admin:index",
                includes=lambda user: bool(user.is_superuser or permissions.staff_branch_ids(user)),
                order=40,
            )
        )
        register_space(
            Space(
                role=Role.CPNEF_MEMBER,
                title=_("CPNEF"),
                description=_("CQP projects awaiting the CPNEF's decision."),
                url_name="certifications:cpnef_projects",
                includes=lambda user: bool(permissions.cpnef_branch_ids(user)),
                order=50,
            )
        )
