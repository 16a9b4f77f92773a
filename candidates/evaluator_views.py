"""The evaluator's space: the dossiers assigned to them, positioning, training plan, assessments.

Every dossier is fetched through `get_dossier_for_evaluator` (404 unless it is assigned to the
user now); pages read through `selectors`; each form or POST calls one service and turns its
domain error into a form error or a message.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView, View

from certifications.permissions import has_accreditation
from cqp.errors import DomainError

from . import selectors, services
from .evaluator_forms import (
    CLOSED,
    ConflictForm,
    DeclareReadyForm,
    DossierFilterForm,
    PositioningForm,
    TrainingPlanForm,
    UnitAssessmentForm,
    open_status_choices,
)
from .lifecycles import DOSSIER_LIFECYCLE
from .models import (
    EVALUATOR_AT_WORK,
    OPEN_STATUSES,
    DossierStatus,
    Pathway,
    UnitAssessment,
)
from .permissions import get_dossier_for_evaluator

S = DossierStatus


def next_step(dossier) -> str:
    """What the evaluator has to do next on an annotated dossier of the list ("" if nothing)."""
    if dossier.status == S.POSITIONING:
        return _("Record the positioning")
    if dossier.status == S.VAE:
        if dossier.has_booklet:
            return _("Examine the VAE booklet, then start the evaluation")
        return _("Waiting for the VAE booklet")
    if dossier.status == S.TRAINING:
        return _("Start the evaluation") if dossier.has_plan else _("Record the training plan")
    if dossier.status == S.EVALUATION:
        # Optional units are assessed if the evaluator wishes: they never hold the dossier back.
        total = dossier.required_count - dossier.carried_required_count
        if dossier.done_count >= total:
            return _("Declare ready for the jury")
        return _("Assess the units (%(done)d of %(total)d done)") % {
            "done": dossier.done_count,
            "total": total,
        }
    if dossier.status in (S.READY_FOR_JURY, S.IN_JURY):
        return _("Nothing: the dossier is with the jury")
    return ""


def not_now(dossier, label) -> str:
    """Why the page's action is refused in the dossier's status (the lifecycle's wording)."""
    return _("“%(action)s” is not possible while the status is “%(status)s”.") % {
        "action": label,
        "status": dossier.get_status_display(),
    }


LAPSED_ACCREDITATION = gettext_lazy(
    "Your accreditation for this CQP is no longer valid: you can read the dossier but not act; "
    "the branch will assign another evaluator."
)


class EvaluatorDossierListView(LoginRequiredMixin, ListView):
    """Dossiers assigned to the evaluator: open ones by default, filtered, with counts."""

    template_name = "candidates/evaluator/dossier_list.html"
    context_object_name = "dossiers"
    paginate_by = 25

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not (
            has_accreditation(user) or selectors.assigned_dossiers(user).exists()
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        user = self.request.user
        self.filter_form = DossierFilterForm(self.request.GET, cqps=selectors.assigned_cqps(user))
        self.filters = self.filter_form.filters()
        return selectors.filter_assigned_dossiers(user, **self.filters)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["dossiers"] = list(context["dossiers"])
        selectors.add_evaluator_progress(context["dossiers"])
        for dossier in context["dossiers"]:
            dossier.next_step = next_step(dossier)
            # A due date binds the evaluator only while they are at work on the dossier.
            dossier.at_work = dossier.status in EVALUATOR_AT_WORK
            dossier.overdue = dossier.is_overdue(today)
        query = self.request.GET.copy()
        query.pop("page", None)
        current = self.filters.get("status", "")
        context.update(
            filter_form=self.filter_form,
            filtered=any(self.filters.values()),
            status_counts=self.status_counts(current),
            query_without_page=query.urlencode(),
            today=today,
        )
        return context

    def status_counts(self, current: str) -> list[dict]:
        """Each state holding dossiers, with its count and the link filtering on it."""
        counts = selectors.assigned_status_counts(self.request.user)
        url = reverse("evaluators:dossier_list")
        rows = [
            {
                "label": _("Every open dossier"),
                "count": sum(n for status, n in counts.items() if status in OPEN_STATUSES),
                "url": url,
                "current": current == "",
            }
        ]
        for value, label in open_status_choices():
            if counts.get(value):
                rows.append(
                    {
                        "label": label,
                        "count": counts[value],
                        "url": f"{url}?{urlencode({'status': value})}",
                        "current": current == value,
                    }
                )
        closed = sum(n for status, n in counts.items() if status not in OPEN_STATUSES)
        if closed:
            rows.append(
                {
                    "label": _("Closed"),
                    "count": closed,
                    "url": f"{url}?{urlencode({'status': CLOSED})}",
                    "current": current == CLOSED,
                }
            )
        return rows


class EvaluatorDossierMixin(LoginRequiredMixin):
    """A dossier assigned to the user now (else 404), optionally in a status allowing `action`.

    `accredited` says, once per request, whether the user's accreditation still covers the
    dossier's CQP: without it they read the dossier but no action page opens.
    """

    action: str | None = None  # the lifecycle action the page leads to
    action_label = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.dossier = get_dossier_for_evaluator(request.user, kwargs["pk"])
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        self.accredited = services.accreditation_valid_for(request.user, self.dossier.cqp)
        refused = self.check_dossier()
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)

    def check_dossier(self):
        """None to go on, else the response (back to the dossier, with the reason)."""
        if self.action and not self.accredited:
            messages.error(self.request, LAPSED_ACCREDITATION)
            return self.back()
        if self.action and not DOSSIER_LIFECYCLE.can(self.dossier.status, self.action):
            messages.error(self.request, not_now(self.dossier, self.action_label))
            return self.back()
        return None

    def back(self):
        return redirect("evaluators:dossier_detail", pk=self.dossier.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(dossier=self.dossier, accredited=self.accredited, S=S)
        return context


class EvaluatorDossierDetailView(EvaluatorDossierMixin, TemplateView):
    """The dossier as the evaluator works on it: candidate, pieces, référentiel, work, history."""

    template_name = "candidates/evaluator/dossier_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dossier = self.dossier
        status = dossier.status
        documents = selectors.dossier_documents(dossier)
        positioning = selectors.dossier_positioning(dossier)
        plan = selectors.dossier_training_plan(dossier)
        units = selectors.dossier_referentiel_units(dossier, positioning=positioning, plan=plan)

        def can(action: str) -> bool:
            # Without a valid accreditation the evaluator reads the dossier, nothing more.
            return self.accredited and DOSSIER_LIFECYCLE.can(status, action)

        can_start = can("start_evaluation")
        can_ready = can("declare_ready")
        context.update(
            candidate=dossier.candidate,
            documents=documents,
            units=units,
            positioning=positioning,
            training_plan=plan,
            # The comments kept within the branch (a conflict's reason, the note handing the
            # dossier to the jury) stay hidden here, also from the next evaluator.
            events=selectors.dossier_timeline(dossier),
            at_work=status in EVALUATOR_AT_WORK,
            overdue=dossier.is_overdue(timezone.localdate()),
            can_position=can("choose_vae"),
            can_plan=can("plan_training"),
            can_start=can_start,
            start_missing=services.evaluation_start_problems(dossier) if can_start else [],
            can_assess=can("assess_unit"),
            can_ready=can_ready,
            missing_units=services.units_missing_assessment(dossier) if can_ready else [],
            ready_form=DeclareReadyForm() if can_ready else None,
            can_conflict=can("declare_conflict"),
        )
        return context


class PositioningView(EvaluatorDossierMixin, FormView):
    """Record the positioning: each unit still to acquire, then VAE or training."""

    template_name = "candidates/evaluator/positioning.html"
    form_class = PositioningForm
    action = "choose_vae"  # and "choose_training": the same sources
    action_label = gettext_lazy("Record the positioning")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["units"] = services.units_to_acquire(self.dossier).prefetch_related(
            "competences", "criteria"
        )
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["carried_over"] = self.dossier.carried_over.select_related("unit").order_by(
            "unit__order", "unit_id"
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.positioning_record(
                dossier=self.dossier,
                assessed_on=data["assessed_on"],
                recommendation=data["recommendation"],
                justification=data["justification"],
                units=form.unit_positionings(),
                eligibility_valid_until=data.get("eligibility_valid_until"),
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        if data["recommendation"] == Pathway.VAE:
            messages.success(
                self.request, _("Positioning recorded: the dossier follows the VAE pathway.")
            )
        else:
            messages.success(
                self.request, _("Positioning recorded: the dossier follows the training pathway.")
            )
        return self.back()


class TrainingPlanView(EvaluatorDossierMixin, FormView):
    """Record or change the training plan with a provider habilitated for the CQP."""

    template_name = "candidates/evaluator/training_plan.html"
    form_class = TrainingPlanForm
    action = "plan_training"
    action_label = gettext_lazy("Record the training plan")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.plan = selectors.dossier_training_plan(self.dossier)
        kwargs.update(
            dossier=self.dossier,
            units=services.units_to_acquire(self.dossier),
            plan=self.plan,
            positioning=selectors.dossier_positioning(self.dossier),
        )
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plan"] = self.plan
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.training_plan_save(
                dossier=self.dossier,
                provider=data["provider"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                funding=data["funding"],
                unit_hours=form.unit_hours(),
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Training plan recorded."))
        return self.back()


class UnitAssessmentView(EvaluatorDossierMixin, FormView):
    """Assess one unit still to acquire, criterion by criterion (or change its assessment)."""

    template_name = "candidates/evaluator/unit_assessment.html"
    form_class = UnitAssessmentForm
    action = "assess_unit"
    action_label = gettext_lazy("Assess a unit")

    def check_dossier(self):
        # A unit of another version does not exist for this dossier.
        self.unit = get_object_or_404(
            self.dossier.referentiel.units.prefetch_related("competences", "criteria"),
            pk=self.kwargs["unit_pk"],
        )
        refused = super().check_dossier()
        if refused is None and self.dossier.carried_over.filter(unit=self.unit).exists():
            messages.error(
                self.request,
                _("%s is already acquired: it is not assessed again.") % self.unit.code,
            )
            refused = self.back()
        return refused

    def current_assessment(self):
        """The unit's assessment with `met` and `by_conflicted_evaluator` set, or None."""
        assessment = (
            UnitAssessment.objects.filter(dossier=self.dossier, unit=self.unit)
            .prefetch_related("criteria")
            .first()
        )
        if assessment is not None:
            assessment.met = {line.criterion_id: line.met for line in assessment.criteria.all()}
            assessment.by_conflicted_evaluator = self.dossier.conflicts.filter(
                person_id=assessment.evaluator_id
            ).exists()
        return assessment

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.assessment = self.current_assessment()
        # An assessment by an evaluator in conflict no longer counts: the form starts afresh.
        counted = self.assessment
        if counted is not None and counted.by_conflicted_evaluator:
            counted = None
        kwargs.update(unit=self.unit, assessment=counted)
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(unit=self.unit, assessment=self.assessment)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.unit_assessment_save(
                dossier=self.dossier,
                unit=self.unit,
                assessed_on=data["assessed_on"],
                modality=data["modality"],
                result=data["result"],
                criteria=form.criteria_met(),
                comment=data["comment"],
                actor=self.request.user,
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Assessment of %s recorded.") % self.unit.code)
        return self.back()


class EvaluatorActionView(EvaluatorDossierMixin, View):
    """A POST calling one service on the dossier; its refusal becomes a message."""

    http_method_names = ["post"]


class StartEvaluationView(EvaluatorActionView):
    action = "start_evaluation"
    action_label = gettext_lazy("Start the evaluation")

    def post(self, request, *args, **kwargs):
        try:
            services.dossier_start_evaluation(dossier=self.dossier, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The evaluation has started: assess each unit."))
        return self.back()


class DeclareReadyView(EvaluatorActionView):
    action = "declare_ready"
    action_label = gettext_lazy("Declare ready for the jury")

    def post(self, request, *args, **kwargs):
        form = DeclareReadyForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return self.back()
        try:
            services.dossier_declare_ready(
                dossier=self.dossier, actor=request.user, comment=form.cleaned_data["comment"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("The dossier is ready for the jury; the branch's staff are told by e-mail."),
            )
        return self.back()


class DeclareConflictView(EvaluatorDossierMixin, View):
    """GET explains and asks for the reason; POST steps aside (the dossier leaves the list)."""

    template_name = "candidates/evaluator/conflict.html"
    action = "declare_conflict"
    action_label = gettext_lazy("Declare a conflict of interest")

    def get(self, request, *args, **kwargs):
        return self.render(ConflictForm())

    def post(self, request, *args, **kwargs):
        form = ConflictForm(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            services.dossier_declare_conflict(
                dossier=self.dossier, reason=form.cleaned_data["reason"], actor=request.user
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return self.render(form)
        messages.success(
            request,
            _(
                "You stepped aside from the dossier %s; the branch's staff will assign another "
                "evaluator."
            )
            % self.dossier.reference,
        )
        return redirect("evaluators:dossier_list")

    def render(self, form):
        return render(
            self.request, self.template_name, {"dossier": self.dossier, "form": form, "S": S}
        )
