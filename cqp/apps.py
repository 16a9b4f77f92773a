from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CqpConfig(AppConfig):
    name = "cqp"
    verbose_name = _("Accounts")
