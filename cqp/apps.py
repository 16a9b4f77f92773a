from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CqpConfig(AppConfig):
    name = "cqp"
    verbose_name = _("Accounts")

    def ready(self):
        from .account_data import ACCOUNT
        from .personal_data import register

        register(ACCOUNT)
