"""Placeholder: being written (pages of the candidates issue)."""

from django.views.generic import View


class RegisterView(View):
    pass


class RegisterDoneView(View):
    pass


class ConfirmEmailView(View):
    pass


class AcceptInvitationView(View):
    pass
