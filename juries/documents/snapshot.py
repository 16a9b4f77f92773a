"""What a certificate prints, frozen when it is issued: a later edit of the candidate, the CQP
or the référentiel never changes an issued document (the branch's logo and signatory are read
when the PDF is produced, so that producing it again takes their new values)."""

import datetime

from django.conf import settings
from django.utils import timezone, translation

from candidates.models import AcquiredUnit


def _unit(unit, acquired_on: datetime.date | None = None) -> dict:
    data = {"code": unit.code, "title": unit.title, "optional": unit.is_optional}
    if acquired_on is not None:
        data["acquired_on"] = acquired_on.isoformat()
    return data


def _in_french(label) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(label())


def certificate_snapshot(decision, decided_on: datetime.date) -> dict:
    """The holder, the CQP, the units held and still to acquire, the jury and its date.

    Read after the decision's units are recorded, so the held units include those it grants.
    """
    dossier = decision.item.dossier
    candidate, cqp, session = dossier.candidate, dossier.cqp, decision.item.session
    units = list(dossier.referentiel.units.order_by("order", "id"))
    held = dict(
        AcquiredUnit.objects.filter(candidate=candidate, unit__in=units).values_list(
            "unit_id", "acquired_on"
        )
    )
    return {
        "holder": {
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "birth_date": candidate.birth_date.isoformat() if candidate.birth_date else "",
            "birth_place": candidate.birth_place,
        },
        "cqp": {
            "code": cqp.code,
            "title": cqp.title,
            "registry_number": cqp.registry_number,
            # The document is French whatever language the president's pages are in.
            "level": _in_french(cqp.get_level_display) if cqp.level else "",
            "referentiel_version": dossier.referentiel.version,
        },
        "branch": {"name": session.branch.name, "cpnef_name": session.branch.cpnef_name},
        "dossier": dossier.reference,
        "units_held": [_unit(u, held[u.pk]) for u in units if u.pk in held],
        "units_remaining": [_unit(u) for u in units if u.pk not in held],
        "jury_date": timezone.localtime(session.starts_at).date().isoformat(),
        "decided_on": decided_on.isoformat(),
        "place": session.place,
    }


def parse_date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None
