"""Streaming parser of the France Compétences XML export of certification fiches (flux 4.1).

The export is one `FICHES` element holding `VERSION_FLUX` and then tens of thousands of `FICHE`
elements, so the file is parsed in chunks and each direct child `FICHE` is turned into a
`Fiche` at its end event, then dropped from the tree: memory stays flat whatever the size.
Parsing goes through defusedxml with DTDs, entity declarations and external references all
forbidden (the real export has none), so entity expansion and XXE are refused up front; the
bounds of `bounded` refuse a fiche, a text or a tag too large for any real export.

Quirks of the format this module absorbs:

- Long text fields (`LISTE_COMPETENCES`, `MODALITES_EVALUATION`, `CAPACITES_ATTESTEES`,
  `OBJECTIFS_CONTEXTE`…) are flat: each line break of the original became a run of three or
  more spaces. Single and double spaces also occur *inside* words and sentences ("d e",
  "compé tences"), so only runs of three or more split items.
- List items may start with a `*`, `o` or `-` marker (`•` too), which is dropped.
- Several elements repeat in nested places: `ACTIF` appears inside each `SI_JURY_*` element
  as well as directly under `FICHE` (the fiche's own state), and `BLOC_COMPETENCES` appears
  under `CORRESPONDANCES` (links to older fiches). Only direct children are read.
- Dates are DD/MM/YYYY; the European level is `NIV3`…`NIV8`; codes (NSF, ROME, Formacode,
  IDCC) are `{CODE, LIBELLE}` pairs under their list element.
"""

import datetime
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from django.utils.translation import gettext as _

from cqp.errors import DomainError

from .bounded import BadEncoding, BoundedTreeBuilder, Oversized, bounded_events

ROOT_TAG = "FICHES"
FICHE_TAG = "FICHE"

# A line break of the original text: 3+ spaces (or a real newline, should one appear).
_LINE_BREAK_RE = re.compile(r"[ \t\u00a0]{3,}|[ \t\u00a0]*[\r\n]+[ \t\u00a0]*")
# A list marker at the start of an item: bullets stand alone, letters and dashes need a space.
_MARKER_RE = re.compile(r"^(?:[*•·▪]\s*|[-–—o]\s+)")
_SPACES_RE = re.compile(r"\s+")
_LEVEL_RE = re.compile(r"^NIV(\d)$")


class ImportFileError(DomainError):
    """The file cannot be imported at all: missing, malformed, hostile or not an export."""


@dataclass(frozen=True)
class Certifier:
    name: str
    siret: str
    active: bool


@dataclass(frozen=True)
class Bloc:
    """A bloc de compétences, or the single unit standing for a fiche without blocs."""

    code: str
    title: str
    competences: tuple[str, ...]
    evaluation_modalities: str


@dataclass(frozen=True)
class Fiche:
    """What the importer needs from one `FICHE`; `problems` lists what made values unusable."""

    position: int  # 1-based rank of the fiche in its file
    number: str
    title: str
    active: bool
    level: str  # "4" for NIV4, "" when absent or unknown
    nsf_codes: tuple[str, ...]
    rome_codes: tuple[str, ...]
    formacodes: tuple[str, ...]
    idcc_codes: tuple[str, ...]
    certifiers: tuple[Certifier, ...]
    blocs: tuple[Bloc, ...]
    capacities: tuple[str, ...]
    evaluation_modalities: str
    objectives: str
    activities: str
    registration_end_date: datetime.date | None
    problems: tuple[str, ...] = field(default=())

    @property
    def units(self) -> tuple[Bloc, ...]:
        """The blocs, or for a fiche without blocs (RS) one unit built from its capacities."""
        if self.blocs:
            return self.blocs
        return (
            Bloc(
                code=self.number,
                title=self.title,
                competences=self.capacities,
                evaluation_modalities=self.evaluation_modalities,
            ),
        )


# --- text helpers -----------------------------------------------------------------------------


def collapse(text: str | None) -> str:
    """One line: every whitespace run becomes one space."""
    return _SPACES_RE.sub(" ", text or "").strip()


def split_items(text: str | None) -> list[str]:
    """The lines of a flat long text, markers stripped, empty lines dropped."""
    items = []
    for piece in _LINE_BREAK_RE.split(text or ""):
        item = collapse(_MARKER_RE.sub("", piece.strip(), count=1))
        if item:
            items.append(item)
    return items


def parse_date(value: str) -> datetime.date:
    return datetime.datetime.strptime(value.strip(), "%d/%m/%Y").date()


# --- element readers --------------------------------------------------------------------------


def _child_text(elem: Element, tag: str) -> str:
    child = elem.find(tag)  # direct child only: never ACTIF of a SI_JURY_* element
    return (child.text or "") if child is not None else ""


def _codes(elem: Element, list_tag: str, item_tag: str) -> tuple[str, ...]:
    codes = []
    for item in elem.iterfind(f"{list_tag}/{item_tag}"):
        code = collapse(_child_text(item, "CODE"))
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def _fiche_from_element(elem: Element, position: int) -> Fiche:
    problems = []
    number = collapse(_child_text(elem, "NUMERO_FICHE")).upper()
    title = collapse(_child_text(elem, "INTITULE"))

    level_code = collapse(elem.findtext("NOMENCLATURE_EUROPE/NIVEAU")).upper()
    match = _LEVEL_RE.match(level_code)
    level = match.group(1) if match and match.group(1) in "345678" else ""

    end_date = None
    raw_end = collapse(_child_text(elem, "DATE_FIN_ENREGISTREMENT"))
    if raw_end:
        try:
            end_date = parse_date(raw_end)
        except ValueError:
            problems.append(
                _("Invalid registration end date “%s” (expected DD/MM/YYYY).") % raw_end
            )

    certifiers = tuple(
        Certifier(
            name=collapse(_child_text(item, "NOM_CERTIFICATEUR")),
            siret=re.sub(r"\s", "", _child_text(item, "SIRET_CERTIFICATEUR")),
            active=collapse(_child_text(item, "ETAT_CERTIFICATEUR")).lower() != "inactif",
        )
        for item in elem.iterfind("CERTIFICATEURS/CERTIFICATEUR")
    )
    blocs = tuple(
        Bloc(
            code=collapse(_child_text(item, "CODE")).upper(),
            title=collapse(_child_text(item, "LIBELLE")),
            competences=tuple(split_items(_child_text(item, "LISTE_COMPETENCES"))),
            evaluation_modalities="\n".join(split_items(_child_text(item, "MODALITES_EVALUATION"))),
        )
        for item in elem.iterfind("BLOCS_COMPETENCES/BLOC_COMPETENCES")
    )
    return Fiche(
        position=position,
        number=number,
        title=title,
        active=collapse(_child_text(elem, "ACTIF")).lower() != "non",
        level=level,
        nsf_codes=_codes(elem, "CODES_NSF", "NSF"),
        rome_codes=_codes(elem, "CODES_ROME", "ROME"),
        formacodes=_codes(elem, "FORMACODES", "FORMACODE"),
        idcc_codes=tuple(c.zfill(4) for c in _codes(elem, "CODES_IDCC", "IDCC") if c.isdigit()),
        certifiers=certifiers,
        blocs=blocs,
        capacities=tuple(split_items(_child_text(elem, "CAPACITES_ATTESTEES"))),
        evaluation_modalities="\n".join(split_items(_child_text(elem, "MODALITES_EVALUATION"))),
        objectives="\n".join(split_items(_child_text(elem, "OBJECTIFS_CONTEXTE"))),
        activities="\n".join(split_items(_child_text(elem, "ACTIVITES_VISEES"))),
        registration_end_date=end_date,
        problems=tuple(problems),
    )


# --- streaming --------------------------------------------------------------------------------


def source_name(source) -> str:
    """How to name a path or file object in messages."""
    if isinstance(source, str | PathLike):
        return str(source)
    return str(getattr(source, "name", "") or _("uploaded file"))


def _file_error(name: str, reason: str, line: int | None = None) -> ImportFileError:
    if line:
        return ImportFileError(
            _("%(file)s, line %(line)s: %(reason)s")
            % {"file": name, "line": line, "reason": reason}
        )
    return ImportFileError(_("%(file)s: %(reason)s") % {"file": name, "reason": reason})


def check_source(source) -> None:
    """Raise ImportFileError if `source` is a path that is not a readable file."""
    if isinstance(source, str | PathLike) and not Path(source).is_file():
        raise _file_error(source_name(source), _("no such file."))


def iter_fiches(source) -> Iterator[Fiche]:
    """Yield the fiches of an export (a path or a binary file object), one at a time.

    Raises ImportFileError when the file is missing, is not well-formed XML, declares a DTD
    or entities, an encoding the parser cannot read, exceeds the bounds of `bounded` or is not
    a `FICHES` document; fiches already yielded stay yielded, so the caller must make its
    writes all-or-nothing.
    """
    name = source_name(source)
    check_source(source)
    builder = BoundedTreeBuilder()
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    depth = 0
    position = 0
    root = None
    try:
        with _opened(source) as handle:
            for event, elem in bounded_events(handle, parser, builder):
                if event == "start":
                    depth += 1
                    if depth == 1:
                        if elem.tag != ROOT_TAG:
                            raise _file_error(
                                name,
                                _("this is not a France Compétences export (root element %s).")
                                % elem.tag,
                            )
                        root = elem
                    continue
                depth -= 1
                if depth != 1:
                    continue
                # A direct child of FICHES is complete: use it, then drop it from the tree.
                if elem.tag == FICHE_TAG:
                    position += 1
                    yield _fiche_from_element(elem, position)
                elem.clear()
                root.remove(elem)
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise _file_error(name, _("malformed XML (%s).") % _parse_reason(error), line) from error
    except DefusedXmlException as error:
        raise _file_error(
            name,
            _("refused: the file declares a DTD or entities, which an export never does."),
            _line(parser),
        ) from error
    except Oversized as error:
        raise _file_error(name, error.reason, _line(parser)) from error
    except BadEncoding as error:
        raise _file_error(
            name, _("its declared encoding cannot be read (%s); export it in UTF-8.") % error
        ) from error
    except OSError as error:
        raise _file_error(name, _("cannot be read (%s).") % (error.strerror or error)) from error
    if root is None:
        raise _file_error(name, _("the file is empty."))


def _line(parser) -> int | None:
    return getattr(parser.parser, "CurrentLineNumber", None)


@contextmanager
def _opened(source):
    """A binary file object for `source`: the one given, or the path opened (and closed)."""
    if hasattr(source, "read"):
        yield source
        return
    with open(source, "rb") as handle:
        yield handle


def _parse_reason(error: ParseError) -> str:
    # expat's message ends with ": line X, column Y", which the caller says in its own words.
    return re.sub(r":\s*line \d+, column \d+$", "", str(error))
