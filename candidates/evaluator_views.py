"""The evaluator's space: the dossiers assigned to them, positioning, training plan, assessments.

Every dossier is fetched through `get_dossier_for_evaluator` (404 unless it is assigned to the
user now); pages read through `selectors`; each form or POST calls one service and turns its
domain error into a form error or a message.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView, TemplateView, View

from certifications.models import CompetenceUnit
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
from .lifecycles import DOSSIER_LIFECYCLE, WITH_EVALUATOR
from .models import (
    OPEN_STATUSES,
    CarriedOverUnit,
    DossierDocument,
    DossierStatus,
    Pathway,
    TrainingPlan,
    UnitAssessment,
)
from .permissions import get_dossier_for_evaluator

S = DossierStatus


def _count(queryset, group_by: str):
    """A correlated subquery counting `queryset`'s rows (0 when there are none)."""
    rows = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows), 0)


def with_progress(dossiers):
    """Annotate what the list needs to say the next step, in the list's one query."""
    return dossiers.annotate(
        unit_count=_count(
            CompetenceUnit.objects.filter(referentiel=OuterRef("referentiel_id")), "referentiel"
        ),
        carried_count=_count(CarriedOverUnit.objects.filter(dossier=OuterRef("pk")), "dossier"),
        assessed_count=_count(UnitAssessment.objects.filter(dossier=OuterRef("pk")), "dossier"),
        has_booklet=Exists(
            DossierDocument.objects.filter(
                dossier=OuterRef("pk"), kind=DossierDocument.Kind.VAE_BOOKLET
            )
        ),
        has_plan=Exists(TrainingPlan.objects.filter(dossier=OuterRef("pk"))),
    )


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
        total = dossier.unit_count - dossier.carried_count
        if dossier.assessed_count >= total:
            return _("Declare ready for the jury")
        return _("Assess the units (%(done)d of %(total)d done)") % {
            "done": dossier.assessed_count,
            "total": total,
        }
    if dossier.status in (S.READY_FOR_JURY, S.IN_JURY):
        return _("Nothing: the dossier is with the jury")
    return ""


def is_overdue(dossier, today) -> bool:
    """The due date has passed while the evaluator still has work on the dossier."""
    return (
        dossier.status in WITH_EVALUATOR
        and dossier.evaluator_due_on is not None
        and dossier.evaluator_due_on < today
    )


def not_now(dossier, label) -> str:
    return _("“%(action)s” is not possible while the status is “%(status)s”.") % {
        "action": label,
        "status": dossier.get_status_display(),
    }


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
        return with_progress(selectors.filter_assigned_dossiers(user, **self.filters))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        for dossier in context["dossiers"]:
            dossier.next_step = next_step(dossier)
            dossier.overdue = is_overdue(dossier, today)
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
    """A dossier assigned to the user now (else 404), optionally in a status allowing `action`."""

    action: str | None = None  # the lifecycle action the page leads to
    action_label = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.dossier = get_dossier_for_evaluator(request.user, kwargs["pk"])
        refused = self.check_dossier()
        if refused is not None:
            return refused
        return super().dispatch(request, *args, **kwargs)

    def check_dossier(self):
        """None to go on, else the response (back to the dossier, with the reason)."""
        if self.action and not DOSSIER_LIFECYCLE.can(self.dossier.status, self.action):
            messages.error(self.request, not_now(self.dossier, self.action_label))
            return self.back()
        return None

    def back(self):
        return redirect("evaluators:dossier_detail", pk=self.dossier.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(dossier=self.dossier, S=S)
        return context


class EvaluatorDossierDetailView(EvaluatorDossierMixin, TemplateView):
    """The dossier as the evaluator works on it: candidate, pieces, référentiel, work, history."""

    template_name = "candidates/evaluator/dossier_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dossier = self.dossier
        status = dossier.status
        today = timezone.localdate()
        documents = selectors.dossier_documents(dossier)
        positioning = selectors.dossier_positioning(dossier)
        plan = selectors.dossier_training_plan(dossier)
        units = selectors.dossier_referentiel_units(dossier, positioning=positioning, plan=plan)
        has_booklet = any(d.kind == DossierDocument.Kind.VAE_BOOKLET for d in documents)
        can_start = DOSSIER_LIFECYCLE.can(status, "start_evaluation")
        start_missing = []
        if can_start and status == S.VAE:
            if positioning is None or not positioning.eligibility_is_valid_on(today):
                start_missing.append(_("The VAE eligibility is no longer valid."))
            if not has_booklet:
                start_missing.append(_("The candidate has not added their VAE booklet yet."))
        elif can_start and status == S.TRAINING and plan is None:
            start_missing.append(_("Record the training plan first."))
        can_ready = DOSSIER_LIFECYCLE.can(status, "declare_ready")
        context.update(
            candidate=dossier.candidate,
            documents=documents,
            units=units,
            positioning=positioning,
            training_plan=plan,
            events=selectors.dossier_timeline(dossier),
            overdue=is_overdue(dossier, today),
            can_position=DOSSIER_LIFECYCLE.can(status, "choose_vae"),
            can_plan=DOSSIER_LIFECYCLE.can(status, "plan_training"),
            can_start=can_start,
            start_missing=start_missing,
            can_assess=DOSSIER_LIFECYCLE.can(status, "assess_unit"),
            can_ready=can_ready,
            missing_units=services.units_missing_assessment(dossier) if can_ready else [],
            ready_form=DeclareReadyForm() if can_ready else None,
            can_conflict=DOSSIER_LIFECYCLE.can(status, "declare_conflict"),
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
        unit_pk = self.kwargs["unit_pk"]
        try:
            self.unit = selectors.assessable_unit(self.dossier, unit_pk)
        except DomainError as error:
            if not self.dossier.referentiel.units.filter(pk=unit_pk).exists():
                raise Http404 from None
            messages.error(self.request, str(error))
            return self.back()
        return super().check_dossier()

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.assessment = next(
            (a for a in selectors.dossier_assessments(self.dossier) if a.unit_id == self.unit.pk),
            None,
        )
        kwargs.update(unit=self.unit, assessment=self.assessment)
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
    def post(self, request, *args, **kwargs):
        try:
            services.dossier_start_evaluation(dossier=self.dossier, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The evaluation has started: assess each unit."))
        return self.back()


class DeclareReadyView(EvaluatorActionView):
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
