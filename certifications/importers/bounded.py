"""Bounds on what one export may ask of the parser, so that a hostile file costs little.

Streaming keeps memory flat between fiches, but the fiche being read is held whole, and expat
holds a token (a tag with its attributes, a comment) whole until it ends, re-scanning it at
each read (quadratic time on expat < 2.6). A real fiche is about 350 elements, 7 levels deep,
with texts of a few thousand characters; the limits below leave a wide margin above that and
refuse, early and with a reason, a file built to exhaust memory or time.
"""

from xml.etree.ElementTree import TreeBuilder, XMLPullParser

from defusedxml import DefusedXmlException
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MAX_DEPTH = 32  # nested elements (a real export: 7)
MAX_TEXT_CHARS = 1_000_000  # characters in one text between two tags (a real one: under 10,000)
MAX_FICHE_ELEMENTS = 50_000  # elements in one fiche (a real one: about 350)
MAX_FICHE_CHARS = 10_000_000  # characters of text in one fiche (a real one: under 100,000)
MAX_TOKEN_BYTES = 1024 * 1024  # bytes read without the parser finishing a tag or a text
READ_BYTES = 64 * 1024


class Oversized(Exception):
    """The file exceeds one of the bounds; `reason` says which, for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadEncoding(Exception):
    """The declared encoding is unknown to, or not supported by, the parser."""


class BoundedTreeBuilder:
    """A TreeBuilder that counts as it builds and refuses past the bounds.

    A record is a direct child of the root (a `FICHE`): its counts start again with each one,
    since the caller drops every record once read.
    """

    def __init__(self):
        self._builder = TreeBuilder()
        self.depth = 0
        self.callbacks = 0  # grows with every tag or text the parser finishes: its progress
        self._text = 0
        self._record_elements = 0
        self._record_chars = 0

    def start(self, tag, attrs):
        self.callbacks += 1
        self.depth += 1
        self._text = 0
        if self.depth > MAX_DEPTH:
            raise Oversized(
                _("refused: elements are nested more than %d deep, which an export never is.")
                % MAX_DEPTH
            )
        if self.depth == 2:
            self._record_elements = self._record_chars = 0
        self._record_elements += 1
        if self._record_elements > MAX_FICHE_ELEMENTS:
            raise Oversized(
                _("refused: a fiche holds more than %s elements, which an export never does.")
                % _count(MAX_FICHE_ELEMENTS)
            )
        return self._builder.start(tag, attrs)

    def end(self, tag):
        self.callbacks += 1
        self.depth -= 1
        self._text = 0
        return self._builder.end(tag)

    def data(self, data):
        self.callbacks += 1
        self._text += len(data)
        self._record_chars += len(data)
        if self._text > MAX_TEXT_CHARS:
            raise Oversized(
                _("refused: a text is longer than %s characters, which an export never has.")
                % _count(MAX_TEXT_CHARS)
            )
        if self._record_chars > MAX_FICHE_CHARS:
            raise Oversized(
                _("refused: a fiche holds more than %s characters, which an export never does.")
                % _count(MAX_FICHE_CHARS)
            )
        self._builder.data(data)

    def comment(self, text):
        self.callbacks += 1  # dropped, as by a TreeBuilder, but the parser moved on

    def pi(self, target, text=None):
        self.callbacks += 1

    def close(self):
        return self._builder.close()


def _count(number: int) -> str:
    return number_format(number, force_grouping=True)


def bounded_events(handle, parser, builder: BoundedTreeBuilder):
    """("start" | "end", element) pairs of the binary file `handle`, read in chunks.

    `parser` is a defused XMLParser whose target is `builder`. Raises ParseError on malformed
    XML, DefusedXmlException on DTDs and entities, Oversized past a bound, BadEncoding.
    """
    pull = XMLPullParser(events=("start", "end"), _parser=parser)
    stalled = 0  # bytes read since the parser last finished something
    while data := handle.read(READ_BYTES):
        before = builder.callbacks
        _feed(pull.feed, data)
        yield from pull.read_events()
        stalled = 0 if builder.callbacks != before else stalled + len(data)
        if stalled > MAX_TOKEN_BYTES:
            raise Oversized(
                _(
                    "refused: a single tag, attribute or comment is larger than %s MB, which an "
                    "export never has."
                )
                % _count(MAX_TOKEN_BYTES // (1024 * 1024))
            )
    _feed(pull.close)
    yield from pull.read_events()


def _feed(step, *args) -> None:
    try:
        step(*args)
    except DefusedXmlException:
        raise
    except (LookupError, ValueError) as error:
        # expat asks Python for encodings it lacks: unknown names, multi-byte and non-text
        # codecs fail there (LookupError, ValueError, UnicodeError) rather than as XML errors.
        raise BadEncoding(str(error)) from error
