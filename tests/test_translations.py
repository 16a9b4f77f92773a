"""The French catalogue: complete, compiled, up to date with the code, and used by default."""

import ast
import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from certifications import services
from cqp.errors import DomainError

ROOT = Path(settings.BASE_DIR)
CATALOGUE = Path("locale", "fr", "LC_MESSAGES", "django.po")
PO = ROOT / CATALOGUE
MO = PO.with_suffix(".mo")

# The same command the README documents; `tests` holds English test strings only.
MAKEMESSAGES = [
    "makemessages",
    "-l",
    "fr",
    "--ignore=.venv",
    "--ignore=staticfiles",
    "--ignore=media",
    "--ignore=tests",
    "--no-obsolete",
]
# Top-level names not copied for the fresh extraction: environments, data, outputs.
NOT_SOURCES = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "staticfiles",
    "media",
    "tests",
    "test-artifacts",
    "db.sqlite3",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")


def parse_po(path):
    """Entries of a .po file as dicts: msgctxt, msgid, msgid_plural, msgstr(s), flags."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry, field, flags = {}, None, set()
        for line in block.splitlines():
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[field] += ast.literal_eval(line)
            else:
                field, _space, value = line.partition(" ")
                entry[field] = ast.literal_eval(value)
        if "msgid" in entry and entry["msgid"]:  # the header has an empty msgid
            entry["flags"] = flags
            entries.append(entry)
    return entries


def translations(entry):
    return [value for key, value in entry.items() if key.startswith("msgstr")]


def key(entry):
    return (entry.get("msgctxt"), entry["msgid"])


def describe(entries):
    return "\n".join(f"  {e.get('msgctxt') or ''} {e['msgid']!r}" for e in entries)


@pytest.fixture(scope="module")
def committed():
    assert PO.exists(), f"{PO} is missing: run manage.py {' '.join(MAKEMESSAGES)}"
    return parse_po(PO)


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry(committed):
    untranslated = [e for e in committed if not all(translations(e))]
    fuzzy = [e for e in committed if "fuzzy" in e["flags"]]

    assert not untranslated, f"untranslated in {PO}:\n{describe(untranslated)}"
    assert not fuzzy, f"fuzzy in {PO}:\n{describe(fuzzy)}"


def test_plural_entries_have_both_french_forms(committed):
    plurals = [e for e in committed if "msgid_plural" in e]

    assert plurals
    for entry in plurals:
        assert entry.get("msgstr[0]") and entry.get("msgstr[1]"), entry["msgid"]


def test_translations_keep_every_placeholder_and_tag(committed):
    broken = []
    for entry in committed:
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        for source, text in zip(sources * 2, translations(entry), strict=False):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                broken.append(entry)
    assert not broken, f"placeholders changed:\n{describe(broken)}"


def test_the_compiled_catalogue_matches_the_po_file(committed):
    assert MO.exists(), f"{MO} is missing: run manage.py compilemessages -l fr"
    with MO.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog

    stale = []
    for entry in committed:
        msgid = entry["msgid"]
        if entry.get("msgctxt"):
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            compiled = [catalog.get((msgid, n)) for n in (0, 1)]
            expected = [entry["msgstr[0]"], entry["msgstr[1]"]]
        else:
            compiled, expected = catalog.get(msgid), entry["msgstr"]
        if compiled != expected:
            stale.append(entry)
    assert not stale, f"{MO} is out of date, run compilemessages:\n{describe(stale)}"


def test_every_string_of_the_code_is_translated(committed, tmp_path):
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        pytest.fail("GNU gettext (xgettext, msgmerge) is required: apt-get install gettext")
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=lambda directory, names: [
            name
            for name in names
            if (Path(directory) == ROOT and name in NOT_SOURCES)
            or name in {"__pycache__", ".pytest_cache", ".ruff_cache"}
            or name.endswith(".egg-info")
        ],
    )

    result = subprocess.run(
        [sys.executable, "manage.py", *MAKEMESSAGES],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    translated = {key(e) for e in committed if all(translations(e)) and "fuzzy" not in e["flags"]}
    fresh = parse_po(copy / CATALOGUE)
    missing = [e for e in fresh if key(e) not in translated]
    assert not missing, (
        "strings of the code missing from the French catalogue; run manage.py "
        f"{' '.join(MAKEMESSAGES)}, translate, then compilemessages:\n{describe(missing)}"
    )


# --- the site speaks French by default ---------------------------------------------------------


@pytest.mark.django_db
def test_the_home_page_is_in_french_by_default(client):
    html = client.get("/").content.decode()

    assert '<html lang="fr">' in html
    assert "Certifications de branche" in html
    assert "Parcourir le catalogue des CQP" in html
    assert "Branch certifications" not in html


@pytest.mark.django_db
def test_the_home_page_is_in_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Branch certifications" in html
    assert "Certifications de branche" not in html


@pytest.mark.django_db
def test_switching_language_turns_the_catalogue_to_english(client):
    assert "Catalogue des CQP" in client.get("/catalogue/").content.decode()

    client.post("/i18n/setlang/", {"language": "en", "next": "/catalogue/"})

    html = client.get("/catalogue/").content.decode()
    assert "CQP catalogue" in html and "Catalogue des CQP" not in html


@pytest.mark.django_db
def test_the_admin_index_is_in_french_by_default(client, staff):
    client.force_login(staff)

    html = client.get("/admin/").content.decode()

    assert "Gestion de la branche" in html
    assert "Catalogue des CQP" in html
    assert "Branch management" not in html


@pytest.mark.django_db
def test_the_admin_index_is_in_english_with_the_language_cookie(client, staff):
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get("/admin/").content.decode()

    assert "Branch management" in html
    assert "Catalogue of CQPs" in html
    assert "Gestion de la branche" not in html


@pytest.mark.django_db
def test_a_service_error_speaks_french(cqp, staff):
    with translation.override("fr"):
        with pytest.raises(DomainError) as raised:
            services.cqp_suspend(cqp=cqp, actor=staff, comment="  ")
        message = str(raised.value)

    assert message == "Indiquez le motif de la suspension."


@pytest.mark.django_db
def test_a_lifecycle_error_names_the_action_and_status_in_french(cqp, staff):
    with translation.override("fr"):
        with pytest.raises(DomainError) as raised:
            services.cqp_reinstate(cqp=cqp, actor=staff)
        message = str(raised.value)

    assert message == "L’action « Rétablir » est impossible tant que le statut est « Brouillon »."


@pytest.mark.django_db
def test_an_english_browser_still_gets_french_until_the_user_switches(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="fr"' in page
    client.cookies["django_language"] = "en"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    assert 'lang="en"' in page
