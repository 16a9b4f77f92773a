"""The world the access matrix is played in: two branches, each with its people and objects.

Branch A (immobilier): staff, CPNEF member, an open CQP; candidate A's dossier, evaluated by
evaluator A, certified by the closed session S1 (juror A sits on it) whose certificate,
attestation and minutes are produced; a draft CQP; a logo.
Branch B (commerce): staff, CPNEF member, an open CQP; candidate B's dossier under evaluation
by evaluator B; candidate C's dossier on the agenda of the convened session S2 (juror B
presides it).
Plus the people behind the tokenised links: a registrant who has not confirmed their address,
an invited candidate, a user who asked for a new password.

Built with the services, through the helpers the other tests use.
"""

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from candidates import services as candidates
from candidates.models import Dossier, DossierDocument
from candidates.tokens import confirmation_tokens, invitation_tokens
from certifications.models import BranchMembership, CompetenceUnit, Cqp
from juries.models import AgendaItem, Certificate, JuryMinutes, JurySession
from tests import factories
from tests.candidates.conftest import make_candidate
from tests.candidates.evaluation import to_evaluation
from tests.candidates.test_dossier_lifecycle import make_open_cqp
from tests.candidates.test_evaluator_space import admissible_dossier
from tests.certifications.test_branch_logo import png_bytes
from tests.juries.documents import close_three
from tests.juries.test_deliberation import convened_session
from tests.juries.test_sessions import ready_dossier

# Everyone the matrix asks, in the order the failures are listed.
ROLES = (
    "anonymous",
    "candidate_a",
    "candidate_b",
    "evaluator_a",
    "evaluator_b",
    "juror_a",
    "juror_b",
    "staff_a",
    "staff_b",
    "cpnef_a",
    "cpnef_b",
)


@dataclass
class Link:
    """The two halves of a tokenised link."""

    uidb64: str
    token: str

    def kwargs(self) -> dict:
        return {"uidb64": self.uidb64, "token": self.token}


def link(user, generator) -> Link:
    return Link(urlsafe_base64_encode(force_bytes(user.pk)), generator.make_token(user))


@dataclass
class World:
    users: dict  # role -> user (no entry for "anonymous")
    open_cqp: Cqp
    draft_cqp: Cqp
    logo_name: str
    dossier_a: Dossier
    dossier_b: Dossier
    piece_a: DossierDocument
    piece_b: DossierDocument
    piece_c: DossierDocument
    unit_a: CompetenceUnit  # of the version pinned on A's dossier
    unit_b: CompetenceUnit
    session_1: JurySession
    session_2: JurySession
    item_a: AgendaItem  # A's dossier on S1's agenda
    item_c: AgendaItem  # C's dossier on S2's agenda
    certificate_a: Certificate
    attestation_other: Certificate  # the attestation of another candidate decided by S1
    minutes_1: JuryMinutes
    confirmation: Link  # valid: the registrant confirms their address
    confirmation_of_active: Link  # candidate A's account is active: nothing to confirm
    invitation: Link  # valid: the invited candidate chooses a password
    invitation_as_confirmation: Link  # a link of another kind for the invited candidate
    reset: Link  # valid: the user who asked chooses a new password
    reset_as_invitation: Link  # a link of another kind for that user


def _member(branch, role, email):
    return factories.MembershipFactory(user__email=email, branch=branch, role=role).user


def _branch(name, slug, code, cqp_code):
    """A branch with its staff, CPNEF member, accredited evaluator and an open CQP."""
    branch = factories.BranchFactory(name=name, slug=slug, code=code)
    staff = _member(branch, BranchMembership.BranchRole.STAFF, f"staff@{slug}.example.org")
    cpnef = _member(branch, BranchMembership.BranchRole.CPNEF, f"cpnef@{slug}.example.org")
    cqp = make_open_cqp(branch, staff, cpnef, cqp_code)
    evaluator = factories.UserFactory(email=f"evaluator@{slug}.example.org")
    factories.AccreditationFactory(user=evaluator, branch=branch)
    return branch, staff, cpnef, cqp, evaluator


def _any_piece(dossier) -> DossierDocument:
    # The identity piece is erased once a decision is final: take whatever the dossier holds.
    return dossier.documents.order_by("pk").first()


def build_world(capture_on_commit) -> World:
    """Build the world; `capture_on_commit` is pytest-django's fixture of that name (the
    documents' PDFs are produced once the closing commits)."""
    branch_a, staff_a, cpnef_a, cqp_a, evaluator_a = _branch(
        "Immobilier", "immobilier", "IMMO", "NI"
    )
    branch_a.logo.save("immobilier.png", ContentFile(png_bytes()), save=True)
    branch_b, staff_b, cpnef_b, cqp_b, evaluator_b = _branch("Commerce", "cdna", "CDNA", "VJJ")

    # A: three dossiers decided by S1 (certified, partial, refused); A holds the certificate.
    with capture_on_commit(execute=True):
        session_1, members_1, items_1 = close_three(
            branch_a, cqp_a, staff_a, evaluator_a, prefix="s1-"
        )
    item_a = items_1[0]
    dossier_a = Dossier.objects.get(pk=item_a.dossier_id)

    # B: under evaluation (VAE, booklet added, nothing assessed yet).
    dossier_b = admissible_dossier(make_candidate("candidate.b@example.org"), cqp_b, staff_b)
    candidates.dossier_assign_evaluator(dossier=dossier_b, evaluator=evaluator_b, actor=staff_b)
    dossier_b = to_evaluation(dossier_b, evaluator_b)

    # C: ready, on the agenda of the convened session S2 of branch B.
    dossier_c = ready_dossier("candidate.c@example.org", cqp_b, staff_b, evaluator_b)
    session_2, members_2, items_2 = convened_session(
        branch_b, cqp_b, staff_b, [dossier_c], prefix="s2-"
    )

    registrant = candidates.candidate_register(
        email="registrant@example.org",
        password="correct-horse-battery",
        first_name="Rémi",
        last_name="Nouveau",
    ).user
    invited = candidates.candidate_invite(
        email="invited@example.org",
        first_name="Inès",
        last_name="Invitée",
        branch=branch_a,
        actor=staff_a,
    ).user
    forgetful = factories.UserFactory(email="forgetful@example.org")

    users = {
        "candidate_a": dossier_a.candidate.user,
        "candidate_b": dossier_b.candidate.user,
        "evaluator_a": evaluator_a,
        "evaluator_b": evaluator_b,
        "juror_a": members_1[1].user,  # a member (employee college), not the president
        "juror_b": members_2[0].user,  # the president
        "staff_a": staff_a,
        "staff_b": staff_b,
        "cpnef_a": cpnef_a,
        "cpnef_b": cpnef_b,
    }
    return World(
        users=users,
        open_cqp=cqp_a,
        draft_cqp=factories.cqp_with_referentiel(branch=branch_a, code="DRAFT"),
        logo_name=Path(branch_a.logo.name).name,
        dossier_a=dossier_a,
        dossier_b=dossier_b,
        piece_a=_any_piece(dossier_a),
        piece_b=_any_piece(dossier_b),
        piece_c=_any_piece(dossier_c),
        unit_a=dossier_a.referentiel.units.order_by("order").first(),
        unit_b=dossier_b.referentiel.units.order_by("order").first(),
        session_1=session_1,
        session_2=session_2,
        item_a=item_a,
        item_c=items_2[0],
        certificate_a=Certificate.objects.get(decision__item=item_a),
        attestation_other=Certificate.objects.get(decision__item=items_1[1]),
        minutes_1=JuryMinutes.objects.get(session=session_1),
        confirmation=link(registrant, confirmation_tokens),
        confirmation_of_active=link(users["candidate_a"], confirmation_tokens),
        invitation=link(invited, invitation_tokens),
        invitation_as_confirmation=link(invited, confirmation_tokens),
        reset=link(forgetful, default_token_generator),
        reset_as_invitation=link(forgetful, invitation_tokens),
    )
