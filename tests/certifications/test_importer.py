"""The France Compétences importer: parser, import service and management command."""

import gc
import tracemalloc
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from certifications import services
from certifications.importers import ImportFileError, Outcome, import_referentiels, iter_fiches
from certifications.importers.fiches import split_items
from certifications.models import (
    Branch,
    Competence,
    CompetenceUnit,
    Cqp,
    CqpEvent,
    CqpStatus,
    EvaluationCriterion,
    IdccConvention,
    Referentiel,
    ReferentielEvent,
    ReferentielStatus,
    UnitEquivalence,
)
from cqp.errors import DomainError
from tests import factories

DATA = Path(__file__).resolve().parents[2] / "certifications" / "data" / "rncp"
RNCP = DATA / "export_fiches_RNCP_sample.xml"
RS = DATA / "export_fiches_RS_sample.xml"
SAMPLES = [RNCP, RS]
COUNTED = (
    Branch,
    Cqp,
    CqpEvent,
    Referentiel,
    ReferentielEvent,
    CompetenceUnit,
    Competence,
    EvaluationCriterion,
    UnitEquivalence,
)


def row_counts():
    return {model.__name__: model.objects.count() for model in COUNTED}


def outcomes(report):
    return {result.number: result.outcome for result in report.results}


def units_of(number):
    referentiel = Referentiel.objects.filter(cqp__registry_number=number).order_by("-version")[0]
    return list(referentiel.units.order_by("order"))


def competences_of(number, code):
    unit = CompetenceUnit.objects.filter(referentiel__cqp__registry_number=number, code=code)
    unit = unit.order_by("-referentiel__version")[0]
    return [c.text for c in unit.competences.order_by("order")]


def fiche_xml(
    number,
    title="Agent de test",
    *,
    actif="Oui",
    certifier="ORGANISME DE TEST",
    siret="",
    idcc=(),
    competences="Faire ceci.    Faire cela.",
):
    idcc_xml = "".join(f"<IDCC><CODE>{code}</CODE><LIBELLE>x</LIBELLE></IDCC>" for code in idcc)
    return f"""<FICHE>
    <NUMERO_FICHE>{escape(number)}</NUMERO_FICHE>
    <INTITULE>{escape(title)}</INTITULE>
    <NOMENCLATURE_EUROPE><NIVEAU>NIV3</NIVEAU><LIBELLE>Niveau 3</LIBELLE></NOMENCLATURE_EUROPE>
    <CERTIFICATEURS><CERTIFICATEUR>
      <SIRET_CERTIFICATEUR>{siret}</SIRET_CERTIFICATEUR>
      <NOM_CERTIFICATEUR>{escape(certifier)}</NOM_CERTIFICATEUR>
    </CERTIFICATEUR></CERTIFICATEURS>
    <CODES_IDCC>{idcc_xml}</CODES_IDCC>
    <BLOCS_COMPETENCES><BLOC_COMPETENCES>
      <CODE>{escape(number)}BC01</CODE>
      <LIBELLE>Bloc unique</LIBELLE>
      <LISTE_COMPETENCES>{escape(competences)}</LISTE_COMPETENCES>
      <MODALITES_EVALUATION>Mise en situation</MODALITES_EVALUATION>
    </BLOC_COMPETENCES></BLOCS_COMPETENCES>
    <ACTIF>{actif}</ACTIF>
  </FICHE>"""


def write_export(path, *fiches, prolog=""):
    body = "".join(fiches)
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<FICHES>'
        f"<VERSION_FLUX>4.1</VERSION_FLUX>{body}</FICHES>",
        encoding="utf-8",
    )
    return path


def modified_copy(tmp_path, source, number, change, name="modified.xml"):
    """A copy of a sample where `change(fiche_element)` edited the fiche `number`."""
    tree = ET.parse(source)
    fiche = next(f for f in tree.getroot() if f.findtext("NUMERO_FICHE") == number)
    change(fiche)
    target = tmp_path / name
    tree.write(target, encoding="utf-8", xml_declaration=True)
    return target


def add_competence(fiche, code="RNCP36612BC02"):
    bloc = next(
        b
        for b in fiche.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES")
        if b.findtext("CODE") == code
    )
    liste = bloc.find("LISTE_COMPETENCES")
    liste.text += "    Sécuriser la paie grâce à un contrôle croisé."


def set_inactive(fiche):
    fiche.find("ACTIF").text = "Non"


# --- parsing ----------------------------------------------------------------------------------


def test_split_items_breaks_on_runs_of_three_spaces_and_strips_markers():
    text = "Intro :        * Premier point.      o Sous-point   - Tiret   organiser  le  travail"
    assert split_items(text) == [
        "Intro :",
        "Premier point.",
        "Sous-point",
        "Tiret",
        "organiser le travail",
    ]


def test_split_items_keeps_single_and_double_spaces_inside_an_item():
    assert split_items("le type d e supports  à déployer    Suite") == [
        "le type d e supports à déployer",
        "Suite",
    ]


def test_the_parser_reads_the_fiche_s_own_fields_and_not_nested_ones():
    fiches = {f.number: f for path in SAMPLES for f in iter_fiches(path)}
    assert set(fiches) == {"RNCP40344", "RNCP36612", "RS5568"}
    vet = fiches["RNCP40344"]
    # Its SI_JURY_FI/ACTIF says Non; the fiche's own ACTIF says Oui.
    assert vet.active is True
    assert vet.level == "4"
    assert vet.rome_codes == ("A1500", "M1601", "D1210", "A1504")
    # CORRESPONDANCES also hold BLOC_COMPETENCES elements; only the fiche's blocs count.
    assert [b.code for b in vet.blocs] == [f"RNCP40344BC0{i}" for i in range(1, 5)]
    assert [c.name for c in vet.certifiers] == ["ANIMAL PRO FORMATION", "SNVEL"]
    assert str(vet.registration_end_date) == "2028-03-28"
    assert fiches["RS5568"].blocs == ()
    assert fiches["RS5568"].level == ""


# --- import on the samples --------------------------------------------------------------------


def test_it_imports_the_samples_with_their_blocs(db):
    report = import_referentiels(SAMPLES)

    assert (report.created, report.errors, report.total) == (3, 0, 3)
    assert [u.code for u in units_of("RNCP40344")] == [f"RNCP40344BC0{i}" for i in range(1, 5)]
    assert [u.code for u in units_of("RNCP36612")] == [f"RNCP36612BC0{i}" for i in range(1, 5)]
    assert CompetenceUnit.objects.count() == 9
    vet = Cqp.objects.get(registry_number="RNCP40344")
    assert (vet.code, vet.title, vet.level) == (
        "RNCP40344",
        "Auxiliaire spécialisé vétérinaire",
        "4",
    )
    assert vet.nsf_codes == "212t"
    assert vet.rome_codes == "A1500, M1601, D1210, A1504"
    assert vet.formacodes == "42022"
    assert str(vet.registration_end_date) == "2028-03-28"
    assert vet.description.startswith("L' « Auxiliaire Spécialisé Vétérinaire »")
    assert vet.status == CqpStatus.DRAFT  # SI_JURY_*/ACTIF Non does not archive it
    referentiel = vet.referentiels.get()
    assert (referentiel.version, referentiel.status) == (1, ReferentielStatus.DRAFT)
    assert len(referentiel.content_hash) == 64
    assert referentiel.source == "France Compétences, fiche RNCP40344"


def test_an_rs_fiche_becomes_one_unit_made_of_its_capacities(db):
    import_referentiels(RS)

    [unit] = units_of("RS5568")
    assert (unit.code, unit.title) == ("RS5568", "Référent cybersécurité en TPE/PME")
    capacities = competences_of("RS5568", "RS5568")
    assert len(capacities) == 10
    assert capacities[0].startswith("Identifier les enjeux et problématiques")
    # "d e supports": a single space inside a word is not a line break.
    assert "Déterminer les actions à mettre en oeuvre et le type d e supports à déployer" in (
        capacities
    )
    assert (
        capacities[-1] == "Opérer le suivi des co mportements et usages en matière de cybersécurité"
    )


def test_it_splits_each_bloc_s_flat_text_into_competences_and_modalities(db):
    import_referentiels(RNCP)

    hr = competences_of("RNCP36612", "RNCP36612BC01")
    assert len(hr) == 9  # items separated by runs of 4 and 5 spaces
    assert hr[0].startswith("Réaliser une veille règlementaire régulière")
    assert hr[-1].startswith("Diffuser l’information sociale au sein de l’entreprise")
    assert len(competences_of("RNCP40344", "RNCP40344BC01")) == 6
    assert len(competences_of("RNCP40344", "RNCP40344BC03")) == 5
    bloc = CompetenceUnit.objects.get(code="RNCP40344BC02")
    assert (
        bloc.title == "Contribuer à l’organisation interne de l’établissement de soins vétérinaires"
    )
    assert bloc.evaluation_modalities == (
        "Etude de cas complexe avec restitution orale\nEntretien avec le jury"
    )


def test_a_second_import_of_the_same_files_changes_nothing(db):
    import_referentiels(SAMPLES)
    before = row_counts()
    stamps = dict(Cqp.objects.values_list("pk", "updated_at"))

    report = import_referentiels(SAMPLES)

    assert (report.unchanged, report.total) == (3, 3)
    assert row_counts() == before
    assert dict(Cqp.objects.values_list("pk", "updated_at")) == stamps


def test_a_changed_bloc_of_a_published_version_gives_a_new_draft_version(
    db, tmp_path, branch, staff
):
    import_referentiels(RNCP, branch=branch)
    cqp = Cqp.objects.get(registry_number="RNCP36612")
    published = services.referentiel_publish(referentiel=cqp.referentiels.get(), actor=staff)
    changed = modified_copy(tmp_path, RNCP, "RNCP36612", add_competence)

    report = import_referentiels(changed, branch=branch)

    assert outcomes(report) == {"RNCP40344": Outcome.UNCHANGED, "RNCP36612": Outcome.NEW_VERSION}
    published.refresh_from_db()
    draft = cqp.referentiels.get(status=ReferentielStatus.DRAFT)
    assert (published.status, draft.version) == (ReferentielStatus.PUBLISHED, 2)
    assert published.units.get(code="RNCP36612BC02").competences.count() == 9
    new_bloc = draft.units.get(code="RNCP36612BC02")
    assert new_bloc.competences.count() == 10
    assert new_bloc.competences.order_by("order").last().text == (
        "Sécuriser la paie grâce à un contrôle croisé."
    )
    assert draft.units.count() == 4
    assert draft.content_hash != published.content_hash
    # The unchanged blocs are the same units: their holders keep them; the changed one is new.
    carried = UnitEquivalence.objects.filter(to_unit__referentiel=draft)
    assert sorted(carried.values_list("to_unit__code", flat=True)) == [
        "RNCP36612BC01",
        "RNCP36612BC03",
        "RNCP36612BC04",
    ]
    # Importing the changed file again changes nothing more.
    assert outcomes(import_referentiels(changed, branch=branch))["RNCP36612"] == Outcome.UNCHANGED


def test_a_changed_bloc_of_a_draft_version_is_updated_in_place(db, tmp_path):
    import_referentiels(RNCP)
    cqp = Cqp.objects.get(registry_number="RNCP36612")
    untouched = CompetenceUnit.objects.get(code="RNCP36612BC01")
    factories.CriterionFactory(unit=CompetenceUnit.objects.get(code="RNCP36612BC02"), text="Juste")
    changed = modified_copy(tmp_path, RNCP, "RNCP36612", add_competence)

    report = import_referentiels(changed)

    assert outcomes(report) == {"RNCP40344": Outcome.UNCHANGED, "RNCP36612": Outcome.UPDATED}
    referentiel = cqp.referentiels.get()  # still one version
    assert referentiel.version == 1
    bloc = referentiel.units.get(code="RNCP36612BC02")
    assert bloc.competences.count() == 10
    assert [c.text for c in bloc.criteria.all()] == ["Juste"]  # the branch's criteria stay
    assert referentiel.units.get(code="RNCP36612BC01").pk == untouched.pk


def test_changed_catalogue_fields_update_the_cqp(db, tmp_path):
    import_referentiels(RNCP)
    units_before = CompetenceUnit.objects.count()

    def change(fiche):
        fiche.find("INTITULE").text = "Assistant RH"
        fiche.find("DATE_FIN_ENREGISTREMENT").text = "01/07/2030"
        fiche.find("NOMENCLATURE_EUROPE/NIVEAU").text = "NIV6"

    report = import_referentiels(modified_copy(tmp_path, RNCP, "RNCP36612", change))

    assert outcomes(report)["RNCP36612"] == Outcome.UPDATED
    cqp = Cqp.objects.get(registry_number="RNCP36612")
    assert (cqp.title, cqp.level, str(cqp.registration_end_date)) == (
        "Assistant RH",
        "6",
        "2030-07-01",
    )
    assert cqp.referentiels.count() == 1
    assert CompetenceUnit.objects.count() == units_before


def test_an_inactive_fiche_gives_an_archived_cqp(db, tmp_path):
    inactive = modified_copy(tmp_path, RNCP, "RNCP40344", set_inactive)

    report = import_referentiels(inactive)

    assert outcomes(report) == {"RNCP40344": Outcome.ARCHIVED, "RNCP36612": Outcome.CREATED}
    assert (report.archived, report.created) == (1, 1)
    cqp = Cqp.objects.get(registry_number="RNCP40344")
    assert cqp.status == CqpStatus.ARCHIVED
    assert cqp.events.filter(action="archive", actor=None).exists()
    assert outcomes(import_referentiels(inactive))["RNCP40344"] == Outcome.UNCHANGED


def test_a_fiche_that_becomes_inactive_archives_its_existing_cqp(db, tmp_path):
    import_referentiels(RNCP)

    report = import_referentiels(modified_copy(tmp_path, RNCP, "RNCP40344", set_inactive))

    assert outcomes(report)["RNCP40344"] == Outcome.ARCHIVED
    assert Cqp.objects.get(registry_number="RNCP40344").status == CqpStatus.ARCHIVED


def test_an_inactive_fiche_leaves_a_project_under_cpnef_review_to_the_cpnef(
    db, tmp_path, branch, staff
):
    import_referentiels(RNCP, branch=branch)
    cqp = services.cqp_submit(cqp=Cqp.objects.get(registry_number="RNCP40344"), actor=staff)

    report = import_referentiels(modified_copy(tmp_path, RNCP, "RNCP40344", set_inactive))

    [result] = [r for r in report.results if r.number == "RNCP40344"]
    assert result.outcome == Outcome.UNCHANGED
    assert result.message  # says why it was not archived
    cqp.refresh_from_db()
    assert cqp.status == CqpStatus.SUBMITTED


# --- branches ---------------------------------------------------------------------------------


def test_it_puts_a_fiche_in_the_branch_named_like_its_certifier(db):
    cci = factories.BranchFactory(name="Cci  France", slug="cci", code="CCI")

    import_referentiels(SAMPLES)

    assert set(cci.cqps.values_list("registry_number", flat=True)) == {"RNCP36612", "RS5568"}


def test_it_puts_a_fiche_in_the_branch_with_its_certifier_s_siret(db):
    vets = factories.BranchFactory(name="Branche vétérinaire", siret="52875765100013")

    import_referentiels(RNCP)

    assert list(vets.cqps.values_list("registry_number", flat=True)) == ["RNCP40344"]


def test_it_creates_a_branch_from_the_first_certifier_when_none_matches(db):
    report = import_referentiels(SAMPLES)

    vets = Branch.objects.get(name="ANIMAL PRO FORMATION")
    assert (vets.slug, vets.code, vets.siret) == (
        "animal-pro-formation",
        "ANIMALPR",
        "52875765100013",
    )
    cci = Branch.objects.get(name="CCI FRANCE")
    assert (cci.slug, cci.code) == ("cci-france", "CCIFRANC")
    # The RS fiche, read after, found the branch the RNCP fiche created.
    assert set(cci.cqps.values_list("registry_number", flat=True)) == {"RNCP36612", "RS5568"}
    assert {r.branch for r in report.results} == {"ANIMAL PRO FORMATION", "CCI FRANCE"}
    assert Branch.objects.count() == 2


def test_a_created_branch_gets_unique_codes_and_the_fiche_s_idcc(db, tmp_path):
    factories.BranchFactory(name="Autre", slug="immobilier-fnaim", code="IMMOBILI")
    path = write_export(
        tmp_path / "idcc.xml",
        fiche_xml("RNCP90001", certifier="Immobilier FNAIM", idcc=("1527", "9999")),
    )

    import_referentiels(path)

    created = Branch.objects.get(name="Immobilier FNAIM")
    assert (created.slug, created.code) == ("immobilier-fnaim-2", "IMMOBIL2")
    assert list(created.idcc_conventions.values_list("idcc", flat=True)) == ["1527"]
    assert IdccConvention.objects.filter(idcc="1527").exists()


def test_the_given_branch_takes_every_fiche(db, branch):
    import_referentiels(SAMPLES, branch=branch)

    assert branch.cqps.count() == 3
    assert Branch.objects.count() == 1


def test_a_fiche_already_in_another_branch_is_not_moved(db, branch, other_branch):
    import_referentiels(RS, branch=other_branch)

    report = import_referentiels(RS, branch=branch)

    assert report.errors == 1
    assert Cqp.objects.get(registry_number="RS5568").branch == other_branch


# --- actors -----------------------------------------------------------------------------------


def test_staff_of_the_branch_can_import_into_it(db, branch, staff):
    report = import_referentiels(SAMPLES, branch=branch, actor=staff)

    assert report.created == 3
    assert CqpEvent.objects.filter(action="create", actor=staff).count() == 3


def test_it_refuses_each_fiche_for_an_actor_who_is_not_staff_of_the_branch(db, branch, other_staff):
    report = import_referentiels(SAMPLES, branch=branch, actor=other_staff)

    assert (report.errors, report.created) == (3, 0)
    assert {r.branch for r in report.results} == {branch.name}
    assert Cqp.objects.count() == 0


def test_only_an_administrator_may_create_branches_from_certifiers(db, staff, superuser):
    refused = import_referentiels(RS, actor=staff)
    assert (refused.errors, Branch.objects.filter(name="CCI FRANCE").exists()) == (1, False)

    accepted = import_referentiels(RS, actor=superuser)
    assert (accepted.created, Branch.objects.filter(name="CCI FRANCE").exists()) == (1, True)


# --- bad fiches, bad files --------------------------------------------------------------------


def test_a_bad_fiche_is_reported_and_the_others_are_imported(db, tmp_path, branch):
    factories.CqpFactory(branch=branch, code="RNCP90005", title="Code déjà pris")
    duplicate_blocs = fiche_xml("RNCP90004").replace(
        "</BLOCS_COMPETENCES>",
        "<BLOC_COMPETENCES><CODE>RNCP90004BC01</CODE><LIBELLE>Encore</LIBELLE>"
        "</BLOC_COMPETENCES></BLOCS_COMPETENCES>",
    )
    path = write_export(
        tmp_path / "mixed.xml",
        fiche_xml(""),
        fiche_xml("XYZ12"),
        fiche_xml("RNCP90002", title=""),
        fiche_xml("RNCP90003").replace(
            "<NOMENCLATURE_EUROPE>",
            "<DATE_FIN_ENREGISTREMENT>2030-01-01</DATE_FIN_ENREGISTREMENT><NOMENCLATURE_EUROPE>",
        ),
        duplicate_blocs,
        fiche_xml("RNCP90005"),  # its code clashes with an existing CQP of the branch
        fiche_xml("RNCP90006"),
    )

    report = import_referentiels(path, branch=branch)

    assert [r.outcome for r in report.results] == [Outcome.ERROR] * 6 + [Outcome.CREATED]
    assert all(r.message for r in report.results[:6])
    assert [r.position for r in report.results] == list(range(1, 8))
    assert set(Cqp.objects.values_list("code", flat=True)) == {"RNCP90005", "RNCP90006"}
    assert Cqp.objects.get(code="RNCP90005").registry_number == ""


def test_a_fiche_failing_halfway_leaves_nothing_of_itself(db, tmp_path, monkeypatch):
    original = services.unit_set_contents

    def fail_for_the_first_fiche(*, unit, **kwargs):
        if unit.code == "RNCP90001BC01":
            raise DomainError("boom")
        return original(unit=unit, **kwargs)

    monkeypatch.setattr(services, "unit_set_contents", fail_for_the_first_fiche)
    path = write_export(
        tmp_path / "halfway.xml",
        fiche_xml("RNCP90001", certifier="NOUVEL ORGANISME"),
        fiche_xml("RNCP90002", certifier="NOUVEL ORGANISME"),
    )

    report = import_referentiels(path)

    assert [r.outcome for r in report.results] == [Outcome.ERROR, Outcome.CREATED]
    assert report.results[0].message == "boom"
    # The first fiche's branch, CQP and units were rolled back; the second made its own branch.
    assert list(Cqp.objects.values_list("registry_number", flat=True)) == ["RNCP90002"]
    assert Cqp.objects.get().branch.name == "NOUVEL ORGANISME"
    assert Branch.objects.count() == 1
    assert CompetenceUnit.objects.count() == 1


def test_a_dry_run_reports_everything_and_writes_nothing(db):
    before = row_counts()

    report = import_referentiels(SAMPLES, dry_run=True)

    assert (report.dry_run, report.created) == (True, 3)
    assert row_counts() == before


def truncated_copy(tmp_path):
    """The RNCP sample cut in the middle of its second fiche."""
    data = RNCP.read_bytes()
    cut = data.index(b"<NUMERO_FICHE>RNCP36612") + 500
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[:cut])
    return path


def test_a_truncated_file_writes_nothing_even_after_valid_fiches(db, tmp_path):
    before = row_counts()
    seen = []

    with pytest.raises(ImportFileError) as raised:
        import_referentiels([RS, truncated_copy(tmp_path)], progress=seen.append)

    # Two fiches were imported before the break, then rolled back with the rest.
    assert [(r.number, r.outcome) for r in seen] == [
        ("RS5568", Outcome.CREATED),
        ("RNCP40344", Outcome.CREATED),
    ]
    assert row_counts() == before
    assert "truncated.xml" in str(raised.value)


def test_the_file_error_names_the_file_and_the_line(db, tmp_path):
    path = write_export(tmp_path / "broken.xml", fiche_xml("RNCP90001")).read_text()
    broken = tmp_path / "broken2.xml"
    broken.write_text(path.replace("<INTITULE>", "<INTITULE><b>", 1))

    with translation.override("en"), pytest.raises(ImportFileError) as raised:
        import_referentiels(broken)

    # The unclosed <b> is reported where expat finds the mismatch: </INTITULE>, line 4.
    assert str(raised.value).startswith(f"{broken}, line 4: malformed XML")


BILLION_LAUGHS = (
    '<!DOCTYPE FICHES [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)


@pytest.mark.parametrize(
    ("prolog", "title"),
    [
        (BILLION_LAUGHS, "&lol3;"),
        ('<!DOCTYPE FICHES [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', "&xxe;"),
        ('<!DOCTYPE FICHES SYSTEM "file:///etc/passwd">\n', "Agent"),
        ("<!DOCTYPE FICHES>\n", "Agent"),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "dtd"],
)
def test_it_refuses_hostile_xml_and_writes_nothing(db, tmp_path, prolog, title):
    fiche = fiche_xml("RNCP90001", title="TITLE").replace("TITLE", title)  # unescaped entity
    path = write_export(tmp_path / "hostile.xml", fiche, prolog=prolog)
    before = row_counts()

    with translation.override("en"), pytest.raises(ImportFileError) as raised:
        import_referentiels([RS, path])

    assert str(raised.value).startswith(f"{path}, line 2: refused")
    assert row_counts() == before


@pytest.mark.parametrize(
    "content",
    [b"", b"not xml at all", b"<?xml version='1.0'?><html><body/></html>"],
    ids=["empty", "text", "not-fiches"],
)
def test_it_refuses_a_file_that_is_not_an_export(db, tmp_path, content):
    path = tmp_path / "other.xml"
    path.write_bytes(content)

    with pytest.raises(ImportFileError):
        import_referentiels(path)

    assert Cqp.objects.count() == 0


def test_a_missing_path_is_refused_before_anything_is_read(db, tmp_path):
    missing = tmp_path / "missing.xml"
    seen = []

    with pytest.raises(ImportFileError) as raised:
        import_referentiels([RS, missing], progress=seen.append)

    assert str(missing) in str(raised.value)
    assert seen == []
    assert Cqp.objects.count() == 0


def test_it_reads_an_uploaded_binary_file_object(db):
    with RS.open("rb") as handle:
        report = import_referentiels(handle)

    assert report.created == 1
    assert report.results[0].source == str(RS)


# --- the command ------------------------------------------------------------------------------


def test_the_command_imports_and_prints_progress_and_a_summary(db, capsys):
    with translation.override("en"):
        call_command("import_referentiels", str(RNCP), str(RS))

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:3]] == ["RNCP40344", "RNCP36612", "RS5568"]
    assert lines[-1] == (
        "3 fiches: 3 created, 0 updated, 0 new versions, 0 unchanged, 0 archived, 0 errors."
    )
    assert Cqp.objects.count() == 3


def test_the_command_puts_everything_in_the_given_branch(db, branch):
    call_command("import_referentiels", str(RNCP), str(RS), "--branch", branch.slug, verbosity=0)

    assert branch.cqps.count() == 3


def test_the_command_dry_run_writes_nothing(db, capsys):
    before = row_counts()

    call_command("import_referentiels", str(RNCP), "--dry-run")

    assert row_counts() == before
    assert "RNCP36612" in capsys.readouterr().out


def test_the_command_refuses_an_unknown_branch(db):
    with pytest.raises(CommandError, match="nowhere"):
        call_command("import_referentiels", str(RS), "--branch", "nowhere")

    assert Cqp.objects.count() == 0


def test_the_command_fails_on_a_missing_path_and_writes_nothing(db, tmp_path):
    missing = tmp_path / "missing.xml"

    with pytest.raises(CommandError, match="missing.xml"):
        call_command("import_referentiels", str(RS), str(missing))

    assert Cqp.objects.count() == 0


def test_the_command_fails_on_a_malformed_file_and_writes_nothing(db, tmp_path):
    with pytest.raises(CommandError, match="truncated.xml"):
        call_command("import_referentiels", str(RS), str(truncated_copy(tmp_path)), verbosity=0)

    assert Cqp.objects.count() == 0


def test_the_command_reports_bad_fiches_on_stderr(db, tmp_path, capsys):
    path = write_export(tmp_path / "bad.xml", fiche_xml("XYZ12"), fiche_xml("RNCP90001"))

    call_command("import_referentiels", str(path))

    captured = capsys.readouterr()
    assert "XYZ12" in captured.err and "bad.xml" in captured.err
    assert "RNCP90001" in captured.out


# --- size -------------------------------------------------------------------------------------


def big_export(tmp_path, count):
    """`count` small fiches of 25 competences each (over 19: tuples the allocator keeps aside)."""
    path = tmp_path / "big.xml"
    competences = "Faire ceci avec soin et méthode.   " * 25
    with path.open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?><FICHES>')
        for n in range(1, count + 1):
            handle.write(fiche_xml(f"RNCP{n}", title=f"Métier {n}", competences=competences))
        handle.write("</FICHES>")
    return path


def test_the_parser_streams_a_large_file_in_flat_memory(tmp_path):
    path = big_export(tmp_path, 2000)
    size = path.stat().st_size
    list(iter_fiches(write_export(tmp_path / "warm-up.xml", fiche_xml("RNCP1"))))
    gc.collect()  # leftovers of earlier parses would count in this one's peak

    tracemalloc.start()
    try:
        count = sum(1 for _fiche in iter_fiches(path))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 2000
    # The whole tree would take several times the file size; one fiche at a time takes little.
    assert peak < size / 4, (peak, size)


def test_it_imports_a_file_of_many_fiches(db, tmp_path, branch):
    # Kept to a few hundred fiches so the test stays fast; the parser test above reads 2,000.
    report = import_referentiels(big_export(tmp_path, 250), branch=branch)

    assert (report.created, report.errors) == (250, 0)
    assert Cqp.objects.count() == 250
    assert Competence.objects.count() == 250 * 25


@pytest.mark.django_db
def test_it_imports_only_the_numbers_asked_for(branch):
    report = import_referentiels([RNCP], branch=branch, numbers=["rncp40344"])
    assert [r.number for r in report.results] == ["RNCP40344"]
    assert list(Cqp.objects.values_list("registry_number", flat=True)) == ["RNCP40344"]


@pytest.mark.django_db
def test_the_command_takes_numbers(branch):
    call_command(
        "import_referentiels",
        str(RNCP),
        "--branch",
        branch.slug,
        "--number",
        "RNCP36612",
        stdout=StringIO(),
    )
    assert list(Cqp.objects.values_list("registry_number", flat=True)) == ["RNCP36612"]
