"""The candidates of the staff's branch (read-only) and the invitation page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certifications.models import Branch
from certifications.permissions import member_branch_ids, staff_branch_ids
from cqp.admin_lists import ListRowsMixin
from cqp.errors import DomainError
from cqp.queries import count_subquery

from .. import services
from ..models import Candidate, Dossier
from ..selectors import candidates_matching
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
class CandidateAdmin(ListRowsMixin, AnonymiseActionMixin, admin.ModelAdmin):
    """Candidates with a dossier in the user's branches; their profile is theirs to change."""

    counted_with = (Dossier,)  # staff see the candidates of their branches' dossiers
    list_display = ["__str__", "email_address", "situation", "birth_date", "dossier_count"]
    list_filter = ["situation", ("anonymised_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    # Searched through the candidate's search key (see get_search_results).
    search_fields = ["search_text"]
    search_help_text = gettext_lazy("Name or e-mail address (accents and case aside).")
    # A total order an index serves (Django would otherwise add "-pk" and sort every row).
    ordering = ["last_name", "first_name", "id"]
    # One COUNT per page (the total without filters costs a second one over every row).
    show_full_result_count = False
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
        # Counted by a correlated subquery: computed for the page's rows only, where a join
        # with GROUP BY would count every candidate's dossiers before sorting.
        dossiers = Dossier.objects.filter(candidate=OuterRef("pk"))
        if request.user.is_superuser:
            return qs.annotate(_dossier_count=count_subquery(dossiers, "candidate"))
        ids = member_branch_ids(request.user)
        in_branches = dossiers.filter(cqp__branch__in=ids)
        return qs.filter(
            pk__in=Dossier.objects.filter(cqp__branch__in=ids).values("candidate_id")
        ).annotate(_dossier_count=count_subquery(in_branches, "candidate"))

    def get_search_results(self, request, queryset, search_term):
        return candidates_matching(queryset, search_term), False

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
