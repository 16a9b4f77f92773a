"""Hypothesis strategies for hostile form input.

A form is described by what each field may receive (`plausible`: valid values and junk alike)
and by the `defects` that surely make it invalid; `hostile_post` draws a payload with every
field sent, missing, junk or repeated, then at least one defect, then unknown extra fields.
"""

import os

from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Few examples and no deadline (each is a request and two snapshots of the database); the
# world is built once per test and shared by its examples, which write nothing. CI runs the
# same examples every time (derandomized, no example database); to explore, set FUZZ_RANDOM=1
# and raise FUZZ_EXAMPLES.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    database=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
)

MISSING = object()  # a defect that leaves the field out

# Any character but the lone surrogates, which no client can encode.
CHARACTERS = st.characters(exclude_categories=("Cs",))
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "abc\x00def",
        "\u202egnp.exe",
        "\r\nX-Injected: 1",
        "../../../etc/passwd",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "{{ 7*7 }}{% debug %}",
        "%s%n%x",
        "-1",
        "0",
        "1e309",
        "NaN",
        "99999999999999999999999999",
        "2024-02-30",
        "31/12/2024",
        "9999-12-31",
        "0001-01-01",
        "true",
        "on",
        "null",
        "[]",
        '{"a": 1}',
        "é" * 300,
        "\ufeff\u200b\u2028",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎓",
    ]
)
LONG = st.builds(lambda char, n: char * n, CHARACTERS, st.integers(5_001, 60_000))
WITH_NUL = st.text(CHARACTERS, max_size=20).map(lambda text: f"{text}\x00{text}")
TEXT = st.one_of(st.text(CHARACTERS, max_size=40), TRICKY, LONG, WITH_NUL)
NUMBER = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True)).map(str)
JUNK = st.one_of(TEXT, NUMBER)
# A file where text is expected: the form finds the field missing.
STRAY_FILE = st.builds(
    lambda name, content: SimpleUploadedFile(name or "x", content),
    st.text(CHARACTERS, max_size=20).filter(lambda n: "\x00" not in n and "/" not in n),
    st.binary(max_size=64),
)
FIELD_NAME = st.text(CHARACTERS, min_size=1, max_size=30).filter(lambda n: "\x00" not in n)


def value_for(plausible):
    """What one field receives: a plausible value, junk, several values, or a stray file."""
    return st.one_of(
        plausible,
        plausible,
        JUNK,
        st.lists(st.one_of(plausible, JUNK), min_size=2, max_size=4),
        STRAY_FILE,
    )


@st.composite
def hostile_post(draw, plausible: dict, defects: dict):
    """A POST payload with at least one of `defects` (a field name -> strategy of values, or
    of MISSING), the other fields drawn from `plausible`, plus unknown fields."""
    data = {}
    for name, strategy in plausible.items():
        if draw(st.booleans()):
            data[name] = draw(value_for(strategy))
    name = draw(st.sampled_from(sorted(defects)))
    value = draw(defects[name])
    if value is MISSING:
        data.pop(name, None)
    else:
        data[name] = value
    extra = draw(st.dictionaries(FIELD_NAME, JUNK, max_size=3))
    for key, junk in extra.items():
        data.setdefault(key, junk)
    return data


def choice(values):
    return st.sampled_from(list(values))


def not_in(values, strategy=JUNK):
    """Junk that is none of `values` (compared as strings, as the form will)."""
    allowed = {str(value) for value in values}
    return strategy.filter(lambda text: str(text).strip() not in allowed)


def blank_or_missing():
    return st.one_of(st.just(MISSING), st.sampled_from(["", " ", "\t\n"]))


def too_long(limit: int):
    return st.builds(
        lambda char, n: char * n, st.sampled_from("xé€𝔘"), st.integers(limit + 1, limit + 3000)
    )


def with_nul():
    return WITH_NUL
