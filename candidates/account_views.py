"""The candidate's account: self-registration, e-mail confirmation, accepting an invitation."""

import contextlib

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView, View

from cqp.errors import DomainError

from . import services
from .account_forms import RegisterForm
from .tokens import confirmation_tokens, invitation_tokens

# The views below checked the password or token themselves: the session names the model
# backend, which loads the user on later requests (django-axes' backend, first in
# AUTHENTICATION_BACKENDS, only guards password logins and loads nobody).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _login(request, user) -> None:
    login(request, user, backend=SESSION_BACKEND)


@method_decorator(sensitive_post_parameters("password1", "password2"), name="dispatch")
class RegisterView(FormView):
    template_name = "candidates/accounts/register.html"
    form_class = RegisterForm
    success_url = reverse_lazy("candidates:register_done")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        # An address already taken (DomainError; IntegrityError: taken by a registration racing
        # this one) gets the same "check your mailbox" page: the page must not tell a visitor
        # whether an account exists. Nothing is sent either: a mail to the owner would let anyone
        # flood an inbox, and the owner can log in or reset their password instead.
        with contextlib.suppress(DomainError, IntegrityError):
            services.candidate_register(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        return super().form_valid(form)


class RegisterDoneView(TemplateView):
    template_name = "candidates/accounts/register_done.html"


def _user_from_link(uidb64: str, token: str):
    """The inactive candidate the confirmation link was made for, or None."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = get_user_model().objects.get(pk=pk)
    except (TypeError, ValueError, OverflowError, get_user_model().DoesNotExist):
        return None
    # Only a candidate who never confirmed: the link must not reopen an account deactivated
    # on purpose, nor log into an active one.
    if not services.is_unconfirmed_candidate(user):
        return None
    if not confirmation_tokens.check_token(user, token):
        return None
    return user


@method_decorator(never_cache, name="dispatch")
class ConfirmEmailView(View):
    """GET shows a button, POST activates: mail scanners that prefetch links change nothing."""

    template_name = "candidates/accounts/confirm_email.html"

    def get(self, request, uidb64, token):
        user = _user_from_link(uidb64, token)
        return self._render(user, status=200 if user else 400)

    def post(self, request, uidb64, token):
        user = _user_from_link(uidb64, token)
        if user is None:
            return self._render(None, status=400)
        # The link proves the mailbox; the password proves the person who registered last
        # (registering again replaces it): both are needed to open the account.
        if not user.check_password(request.POST.get("password", "")):
            return self._render(user, status=400, wrong_password=True)
        services.candidate_confirm_email(user=user)
        # Logging in updates last_login, which also invalidates this link.
        _login(request, user)
        messages.success(request, _("Your e-mail address is confirmed. Welcome!"))
        return redirect("candidates:dossier_list")

    def _render(self, user, *, status, wrong_password=False):
        context = {"validlink": user is not None, "wrong_password": wrong_password}
        return render(self.request, self.template_name, context, status=status)


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """The invited candidate chooses a password, then lands in their space, logged in."""

    template_name = "candidates/accounts/accept_invitation.html"
    success_url = reverse_lazy("candidates:dossier_list")
    post_reset_login = True
    post_reset_login_backend = SESSION_BACKEND
    token_generator = invitation_tokens

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Welcome to your space!"))
        return response
