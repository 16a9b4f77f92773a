"""The candidates of the staff's branch (read-only) and the invitation page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.models import Branch
from certifications.permissions import member_branch_ids, staff_branch_ids
from cqp.errors import DomainError

from .. import services
from ..models import Candidate, Dossier
from .anonymisation import AnonymiseActionMixin


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    first_name = forms.CharField(label=gettext_lazy("First names"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150)
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), queryset=None)

    def __init__(self, *args, branches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        only = list(branches[:2])
        if len(only) == 1:
            self.fields["branch"].initial = only[0].pk


@admin.register(Candidate)
class CandidateAdmin(AnonymiseActionMixin, admin.ModelAdmin):
    """Candidates with a dossier in the user's branches; their profile is theirs to change."""

    list_display = ["__str__", "email_address", "situation", "birth_date", "dossier_count"]
    list_filter = ["situation", ("anonymised_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["last_name", "first_name", "user__email"]
    search_help_text = gettext_lazy("Name or e-mail address.")
    fields = [
        "last_name",
        "first_name",
        "email_address",
        "birth_date",
        "birth_place",
        "phone",
        "address",
        "postal_code",
        "city",
        "situation",
        "employer_name",
        "employer_siret",
        "created_at",
        "retention",
    ]
    readonly_fields = fields
    change_list_template = "admin/candidates/candidate/change_list.html"

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return qs.annotate(_dossier_count=Count("dossiers"))
        ids = member_branch_ids(request.user)
        in_branch = Q(dossiers__cqp__branch__in=ids)
        # A subquery rather than a join: one row per candidate, the count stays right.
        return qs.filter(
            pk__in=Dossier.objects.filter(cqp__branch__in=ids).values("candidate_id")
        ).annotate(_dossier_count=Count("dossiers", filter=in_branch))

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(member_branch_ids(request.user))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)  # objects outside the scope are not found

    def has_add_permission(self, request):
        return False  # staff invite candidates; the candidate completes the profile

    def has_change_permission(self, request, obj=None):
        return False  # the candidate owns their profile

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("personal data"))
    def retention(self, candidate):
        if candidate.anonymised_at:
            return _("Anonymised on %(date)s.") % {
                "date": date_format(timezone.localdate(candidate.anonymised_at))
            }
        refusal = services.anonymisation_refusal(candidate)
        return refusal or _("The retention period is over: the candidate may be anonymised.")

    @admin.display(description=gettext_lazy("e-mail address"), ordering="user__email")
    def email_address(self, candidate):
        return candidate.user.email

    @admin.display(description=gettext_lazy("dossiers"), ordering="_dossier_count")
    def dossier_count(self, candidate):
        return candidate._dossier_count

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_invite": self._may_invite(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "invite/",
                self.admin_site.admin_view(self.invite_view),
                name="candidates_candidate_invite",
            )
        ] + super().get_urls()

    @staticmethod
    def _may_invite(request) -> bool:
        return request.user.is_superuser or bool(staff_branch_ids(request.user))

    def invite_view(self, request):
        if not self._may_invite(request):
            raise PermissionDenied
        branches = Branch.objects.order_by("name")
        if not request.user.is_superuser:
            branches = branches.filter(pk__in=staff_branch_ids(request.user))
        form = InviteForm(request.POST if request.method == "POST" else None, branches=branches)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.candidate_invite(
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    branch=data["branch"],
                    actor=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _(
                        "Invitation sent to %(email)s. The candidate appears in this list once "
                        "they have opened a dossier."
                    )
                    % {"email": data["email"]},
                )
                return HttpResponseRedirect(reverse("admin:candidates_candidate_changelist"))
        return TemplateResponse(
            request,
            "admin/candidates/candidate/invite.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Invite a candidate"),
                "form": form,
            },
        )
