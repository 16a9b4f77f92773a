"""The candidate's part of a person's data: profile, dossiers and everything in them, pieces.

Registered with `cqp.personal_data` from the app's ready(). Anonymisation keeps what the
branch's statistics and the certificates need (dossiers, their states and dates, outcomes,
acquired units) and removes what tells who the person was or what they wrote.
"""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.models import BranchMembership, EvaluatorAccreditation
from cqp.models import OutgoingEmail
from cqp.personal_data import Contributor, ExportPart, anonymised_text, delete_files_on_commit

from .lifecycles import PRIVATE_COMMENT_ACTIONS
from .models import (
    Candidate,
    ConflictOfInterest,
    Dossier,
    DossierDocument,
    DossierEvent,
    PositioningAssessment,
    PositioningUnit,
    UnitAssessment,
)

PROFILE_FIELDS = [
    "first_name",
    "last_name",
    "birth_date",
    "birth_place",
    "phone",
    "address",
    "postal_code",
    "city",
    "employer_name",
    "employer_siret",
    "created_at",
    "updated_at",
]


def _person(user) -> str:
    return str(user) if user is not None else ""


def _unit(unit) -> dict:
    return {"code": unit.code, "title": unit.title}


def export_candidate(user) -> ExportPart | None:
    candidate = Candidate.objects.filter(user=user).first()
    if candidate is None:
        return None
    dossiers = (
        Dossier.objects.filter(candidate=candidate)
        .select_related(
            "cqp", "referentiel", "evaluator", "training_provider", "positioning__evaluator"
        )
        .prefetch_related(
            "events__actor",
            "documents",
            "carried_over__unit",
            "positioning__units__unit",
            "training_plan__units__unit",
            "training_plan__provider",
            "unit_assessments__unit",
            "unit_assessments__evaluator",
            "unit_assessments__criteria__criterion",
        )
        .order_by("created_at", "id")
    )
    files = []
    exported = []
    for dossier in dossiers:
        pieces = []
        for document in dossier.documents.all():
            name = f"pieces/{dossier.reference}/{document.pk}-{document.original_name}"
            files.append((name, document.file))
            pieces.append(
                {
                    "kind": document.get_kind_display(),
                    "name": document.original_name,
                    "type": document.content_type,
                    "size": document.size,
                    "uploaded_at": document.uploaded_at,
                    "file": name,
                }
            )
        exported.append(_dossier(dossier, pieces))
    acquired = candidate.acquired_units.select_related("unit__referentiel__cqp").order_by(
        "acquired_on", "id"
    )
    return ExportPart(
        {
            "profile": {name: getattr(candidate, name) for name in PROFILE_FIELDS}
            | {"situation": candidate.get_situation_display() if candidate.situation else ""},
            "dossiers": exported,
            "acquired_units": [
                {
                    "cqp": unit.unit.referentiel.cqp.code,
                    **_unit(unit.unit),
                    "acquired_on": unit.acquired_on,
                }
                for unit in acquired
            ],
        },
        files,
    )


def _dossier(dossier, pieces) -> dict:
    positioning = getattr(dossier, "positioning", None)
    plan = getattr(dossier, "training_plan", None)
    return {
        "reference": dossier.reference,
        "cqp": {"code": dossier.cqp.code, "title": dossier.cqp.title},
        "referentiel_version": dossier.referentiel.version,
        "status": dossier.get_status_display(),
        "funding": dossier.get_funding_display(),
        "pathway": dossier.get_pathway_display() if dossier.pathway else "",
        "opened_at": dossier.created_at,
        "submitted_at": dossier.submitted_at,
        "status_changed_at": dossier.status_changed_at,
        "evaluator": _person(dossier.evaluator),
        "training_provider": dossier.training_provider.name if dossier.training_provider else "",
        "history": [
            {
                "at": event.created_at,
                "action": event.action,
                "from": event.from_status,
                "to": event.to_status,
                "by": _person(event.actor),
                # Comments the branch keeps to itself (a conflict of interest, a readiness
                # note) are not shown to the candidate on their pages either.
                "comment": "" if event.action in PRIVATE_COMMENT_ACTIONS else event.comment,
            }
            for event in dossier.events.all()
        ],
        "pieces": pieces,
        "carried_over_units": [_unit(c.unit) for c in dossier.carried_over.all()],
        "positioning": None
        if positioning is None
        else {
            "assessed_on": positioning.assessed_on,
            "by": _person(positioning.evaluator),
            "recommendation": positioning.get_recommendation_display(),
            "justification": positioning.justification,
            "units": [
                {
                    **_unit(u.unit),
                    "result": u.get_result_display(),
                    "comment": u.comment,
                    "estimated_hours": u.estimated_hours,
                }
                for u in positioning.units.all()
            ],
        },
        "training_plan": None
        if plan is None
        else {
            "provider": plan.provider.name,
            "start_date": plan.start_date,
            "end_date": plan.end_date,
            "funding": plan.get_funding_display(),
            "units": [{**_unit(u.unit), "hours": u.hours} for u in plan.units.all()],
        },
        "unit_assessments": [
            {
                **_unit(a.unit),
                "assessed_on": a.assessed_on,
                "by": _person(a.evaluator),
                "modality": a.get_modality_display(),
                "result": a.get_result_display(),
                "comment": a.comment,
                "criteria": [
                    {"criterion": str(c.criterion), "met": c.met} for c in a.criteria.all()
                ],
            }
            for a in dossier.unit_assessments.all()
        ],
    }


def initial(name: str) -> str:
    """'J.' for 'Jeanne', '' for ''."""
    name = (name or "").strip()
    return f"{name[0].upper()}." if name else ""


def anonymise_candidate(user, actor) -> None:
    """Initials instead of names, no contact or birth details, no pieces, no free text, no
    e-mail that names them."""
    candidate = Candidate.objects.filter(user=user).first()
    if candidate is None:
        return
    dossiers = Dossier.objects.filter(candidate=candidate)
    _delete_emails_about(candidate, list(dossiers.values_list("reference", flat=True)))
    candidate.first_name = initial(candidate.first_name)
    candidate.last_name = initial(candidate.last_name)
    for name in ["birth_place", "phone", "address", "postal_code", "city", "employer_name"]:
        setattr(candidate, name, "")
    candidate.employer_siret = ""
    candidate.birth_date = None
    candidate.anonymised_at = timezone.now()
    candidate.refresh_search_text()
    candidate.save()
    DossierEvent.objects.filter(dossier__in=dossiers).update(comment="")
    PositioningAssessment.objects.filter(dossier__in=dossiers).update(
        justification=anonymised_text()
    )
    PositioningUnit.objects.filter(positioning__dossier__in=dossiers).update(comment="")
    UnitAssessment.objects.filter(dossier__in=dossiers).update(comment="")
    ConflictOfInterest.objects.filter(dossier__in=dossiers).update(reason=anonymised_text())
    documents = DossierDocument.objects.filter(dossier__in=dossiers)
    stored = [(document.file.storage, document.file.name) for document in documents]
    documents.delete()
    delete_files_on_commit(stored)


def _delete_emails_about(candidate, references: list[str]) -> None:
    """The messages that name them, to anyone (staff, evaluators): by name or dossier."""
    about = Q()
    full_names = {
        f"{candidate.first_name} {candidate.last_name}".strip(),
        f"{candidate.last_name} {candidate.first_name}".strip(),
        str(candidate),
    }
    for text in [*references, *(n for n in full_names if " " in n)]:
        about |= Q(subject__icontains=text) | Q(body__icontains=text)
    if about:
        OutgoingEmail.objects.filter(about).delete()


def other_roles(user) -> str:
    """Why this person's account is more than a candidate's (others' records name them)."""
    if user.is_staff or user.is_superuser:
        return _("The account is also a member of staff's.")
    if BranchMembership.objects.filter(user=user).exists():
        return _("The account is also a branch member's.")
    if (
        EvaluatorAccreditation.objects.filter(user=user).exists()
        or Dossier.objects.filter(evaluator=user).exists()
    ):
        return _("The account is also an evaluator's.")
    return ""


CANDIDATE = Contributor(
    key="candidate",
    export=export_candidate,
    anonymise=anonymise_candidate,
    refusal=other_roles,
    order=10,
)
