"""The jury session page's agenda rows, drawn in Python (juries/agenda_table.py): links to each
dossier's page, the candidate's name escaped, the member's vote state, the votes cast for the
president, the decision, and the same markup as the template that drew them before."""

import html as htmllib
import re

import pytest
from django.conf import settings
from django.template import engines
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from candidates import services as dossiers
from juries import selectors, services
from juries.models import AgendaItem, JuryMember, JurySession, Outcome
from tests.candidates.conftest import make_candidate
from tests.candidates.evaluation import to_ready
from tests.candidates.test_evaluator_space import admissible_dossier
from tests.juries.test_pages import cast, crowded_session, in_days, new_session, open_all, units
from tests.juries.test_sessions import ready_dossier, seat

College = JuryMember.College
Role = JuryMember.Role

HOSTILE_LAST = '<b>Dupont</b> "&" O\'Hara'
HOSTILE_FIRST = "<i>Jo</i>"
NOT_YET = '<span class="badge badge--warning">Not yet</span>'
VOTED = '<span class="badge badge--success">Voted</span>'
CONFLICT = '<span class="badge badge--muted">Conflict of interest</span>'
EVALUATED = '<span class="badge badge--muted">You evaluated it</span>'
NOTHING = '<span class="muted">—</span>'
NOT_FINAL = '<span class="muted">(not final yet)</span>'


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English: assertions match the source strings."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def session_url(session):
    return reverse("juries:session_detail", args=[session.pk])


def item_url(item):
    return reverse("juries:item_detail", args=[item.session_id, item.pk])


def ready_named(email, cqp, staff, evaluator, **identity):
    dossier = admissible_dossier(make_candidate(email, **identity), cqp, staff)
    dossiers.dossier_assign_evaluator(dossier=dossier, evaluator=evaluator, actor=staff)
    return to_ready(dossier, evaluator)


class Jury:
    """A convened session: president (employer), employee, expert and the dossiers' evaluator
    (expert) as members; three dossiers on the agenda, the first of a candidate whose name
    holds markup."""

    def __init__(self, branch, cqp, staff, evaluator):
        self.session = new_session(branch, cqp, staff)
        self.president = seat(
            self.session, staff, College.EMPLOYER, Role.PRESIDENT, "president@example.org"
        )
        self.employee = seat(self.session, staff, College.EMPLOYEE, email="employee@example.org")
        self.expert = seat(self.session, staff, College.EXPERT, email="expert@example.org")
        self.assessor = services.member_add(
            session=self.session,
            user=evaluator,
            college=College.EXPERT,
            role=Role.MEMBER,
            actor=staff,
        )
        agenda = [
            ready_named(
                "hostile@example.org",
                cqp,
                staff,
                evaluator,
                last_name=HOSTILE_LAST,
                first_name=HOSTILE_FIRST,
            ),
            ready_dossier("second@example.org", cqp, staff, evaluator),
            ready_dossier("third@example.org", cqp, staff, evaluator),
        ]
        self.items = services.agenda_add(session=self.session, dossiers_to_add=agenda, actor=staff)
        services.session_convene(session=self.session, actor=staff)
        self.session.refresh_from_db()

    @property
    def members(self):
        return (self.president, self.employee, self.expert, self.assessor)

    def deliberate(self):
        """All present; the employee and the expert vote on the first dossier, the expert on
        the third; the employee declares a conflict on the second; the president decides the
        first (not final until closing)."""
        open_all(self.session, self.members)
        first, second, third = self.items
        cast(first, self.employee, Outcome.CERTIFIED, "BC01", "BC02")
        cast(first, self.expert, Outcome.CERTIFIED, "BC01", "BC02")
        cast(third, self.expert, Outcome.CERTIFIED, "BC01")
        services.member_declare_conflict(
            item=second, reason="Même employeur.", actor=self.employee.user
        )
        services.decision_record(
            item=first,
            outcome=Outcome.CERTIFIED,
            validated_unit_ids=[u.pk for u in units(first)],
            actor=self.president.user,
        )

    def close(self):
        _first, second, third = self.items
        for item in (second, third):
            services.decision_record(
                item=item,
                outcome=Outcome.DEFERRED,
                validated_unit_ids=[],
                actor=self.president.user,
            )
        services.session_close(session=self.session, actor=self.president.user)
        self.session.refresh_from_db()


@pytest.fixture
def jury(branch, open_cqp, staff, evaluator):
    return Jury(branch, open_cqp, staff, evaluator)


# --- reading the page ---------------------------------------------------------------------------


def agenda_table(page):
    content = page.content.decode()
    match = re.search(r'<table class="agenda">(.*?)</table>', content, re.S)
    assert match, "no agenda table"
    return match.group(1)


def header(page):
    head = re.search(r"<thead>(.*?)</thead>", agenda_table(page), re.S).group(1)
    return [htmllib.unescape(text) for text in re.findall(r'<th scope="col">([^<]*)</th>', head)]


def body_rows(page):
    body = re.search(r"<tbody>(.*?)</tbody>", agenda_table(page), re.S).group(1)
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def cells(row):
    """The row's cells' inner markup, in order."""
    return [inner for _tag, inner in re.findall(r"<(th|td)[^>]*>(.*?)</\1>", row, re.S)]


def row_of(page, item):
    [row] = [row for row in body_rows(page) if f'href="{item_url(item)}"' in row]
    return row


def as_member(client, member, session):
    client.force_login(member.user)
    page = client.get(session_url(session))
    assert page.status_code == 200
    return page


# --- links and names ----------------------------------------------------------------------------


def test_each_dossier_of_the_agenda_links_to_its_page(client, jury):
    page = as_member(client, jury.employee, jury.session)

    rows = body_rows(page)
    assert len(rows) == len(jury.items) == 3
    for row, item in zip(rows, jury.items, strict=True):  # in the agenda's order
        href = reverse("juries:item_detail", args=[jury.session.pk, item.pk])
        assert re.findall(r'href="([^"]*)"', row) == [href]
        reference, candidate, cqp, _vote, _decision = cells(row)
        assert reference == f'<a class="mono nowrap" href="{href}">{item.dossier.reference}</a>'
        assert candidate == escape(str(item.dossier.candidate))
        assert cqp == f'<span class="mono nowrap">{item.dossier.cqp.code}</span>'
        assert client.get(href).context["dossier"] == item.dossier


def test_the_links_hold_the_ids_whatever_their_digits(client, branch, open_cqp, staff):
    # The next session's id ends in 0, and so does one of its items' (the links are built
    # from one URL reversed with an item id of 0).
    while (JurySession.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) % 10 != 9:
        JurySession.objects.create(
            branch=branch, starts_at=in_days(30), place="Lyon", created_by=staff
        )
    session, president = crowded_session(branch, open_cqp, staff, 21)
    client.force_login(president.user)

    page = client.get(session_url(session))

    items = list(AgendaItem.objects.filter(session=session).order_by("order", "id"))
    hrefs = [re.search(r'href="([^"]*)"', row).group(1) for row in body_rows(page)]
    assert hrefs == [reverse("juries:item_detail", args=[session.pk, i.pk]) for i in items]
    assert session.pk % 10 == 0
    assert any(i.pk % 10 == 0 for i in items)
    for href in (hrefs[0], hrefs[-1]):
        assert client.get(href).status_code == 200


def test_the_candidates_name_is_escaped_never_markup(client, jury):
    page = as_member(client, jury.employee, jury.session)

    first = jury.items[0]
    name = str(first.dossier.candidate)
    assert name == '<B>DUPONT</B> "&" O\'HARA <i>Jo</i>'
    escaped = "&lt;B&gt;DUPONT&lt;/B&gt; &quot;&amp;&quot; O&#x27;HARA &lt;i&gt;Jo&lt;/i&gt;"
    assert cells(row_of(page, first))[1] == escaped
    content = page.content.decode()
    assert "<B>DUPONT" not in content and "<i>Jo</i>" not in content
    assert '"&"' not in content


# --- the member's vote, the votes cast, the decision --------------------------------------------


def vote_and_decision(page, item):
    row = cells(row_of(page, item))
    return row[3], row[-1]


def test_before_the_deliberation_nobody_has_a_vote_to_cast(client, jury):
    page = as_member(client, jury.employee, jury.session)
    for item in jury.items:
        assert vote_and_decision(page, item) == (NOTHING, NOTHING)
    assert "Votes cast" not in header(page)


def test_each_member_sees_their_own_vote_state(client, jury):
    jury.deliberate()

    employee = as_member(client, jury.employee, jury.session)
    assert [vote_and_decision(employee, item)[0] for item in jury.items] == [
        VOTED,
        CONFLICT,
        NOT_YET,
    ]
    expert = as_member(client, jury.expert, jury.session)
    assert [vote_and_decision(expert, item)[0] for item in jury.items] == [
        VOTED,
        NOT_YET,
        VOTED,
    ]
    assessor = as_member(client, jury.assessor, jury.session)
    assert [vote_and_decision(assessor, item)[0] for item in jury.items] == [EVALUATED] * 3
    president = as_member(client, jury.president, jury.session)
    assert [vote_and_decision(president, item)[0] for item in jury.items] == [NOT_YET] * 3
    # What the rows show is what the agenda says.
    states = [item.vote_state for item in employee.context["agenda"]]
    assert states == [selectors.VOTED, selectors.CONFLICT, selectors.TO_VOTE]


def test_a_member_recorded_absent_has_no_vote_state(client, jury):
    services.session_open_deliberation(
        session=jury.session,
        present_member_ids=[jury.president.pk, jury.employee.pk, jury.assessor.pk],
        actor=jury.president.user,
    )
    page = as_member(client, jury.expert, jury.session)
    for item in jury.items:
        assert vote_and_decision(page, item)[0] == NOTHING


def test_the_decision_shows_as_not_final_until_the_session_closes(client, jury):
    jury.deliberate()
    first, second, third = jury.items

    page = as_member(client, jury.employee, jury.session)

    assert vote_and_decision(page, first)[1] == f"Certified {NOT_FINAL}"
    assert vote_and_decision(page, second)[1] == NOTHING
    assert vote_and_decision(page, third)[1] == NOTHING

    jury.close()
    page = as_member(client, jury.employee, jury.session)

    assert [vote_and_decision(page, item)[1] for item in jury.items] == [
        "Certified",
        "Deferred",
        "Deferred",
    ]
    assert "not final yet" not in agenda_table(page)
    # Once closed nobody votes: the employee's vote and conflict stay, the rest is a dash.
    assert [vote_and_decision(page, item)[0] for item in jury.items] == [
        VOTED,
        CONFLICT,
        NOTHING,
    ]


def test_the_president_sees_the_votes_cast_and_a_member_does_not(client, jury):
    jury.deliberate()

    president = as_member(client, jury.president, jury.session)
    member = as_member(client, jury.employee, jury.session)

    assert header(president) == [
        "Reference",
        "Candidate",
        "CQP",
        "My vote",
        "Votes cast",
        "Decision",
    ]
    assert [cells(row_of(president, item))[4] for item in jury.items] == ["2", "0", "1"]
    assert header(member) == ["Reference", "Candidate", "CQP", "My vote", "Decision"]
    assert {len(cells(row)) for row in body_rows(member)} == {5}
    assert {len(cells(row)) for row in body_rows(president)} == {6}


# --- the same markup as the template's ----------------------------------------------------------

# The rows as templates/juries/session_detail.html drew them before juries/agenda_table.py.
FORMER_ROWS = """{% load i18n %}{% for item in agenda %}
        <tr>
          <th scope="row"><a class="mono nowrap" href="{% url 'juries:item_detail' session.pk item.pk %}">{{ item.dossier.reference }}</a></th>
          <td>{{ item.dossier.candidate }}</td>
          <td><span class="mono nowrap">{{ item.dossier.cqp.code }}</span></td>
          <td>{% if item.vote_state == CONFLICT %}<span class="badge badge--muted">{% translate "Conflict of interest" %}</span>{% elif item.vote_state == EVALUATED %}<span class="badge badge--muted">{% translate "You evaluated it" %}</span>{% elif item.vote_state == VOTED %}<span class="badge badge--success">{% translate "Voted" %}</span>{% elif item.vote_state == TO_VOTE %}<span class="badge badge--warning">{% translate "Not yet" %}</span>{% else %}<span class="muted">—</span>{% endif %}</td>
          {% if is_president %}<td>{{ item.votes_count }}</td>{% endif %}
          <td>{% if item.decision_outcome %}{{ item.decision_label }}{% if not item.decision_final %} <span class="muted">({% translate "not final yet" %})</span>{% endif %}{% else %}<span class="muted">—</span>{% endif %}</td>
        </tr>
      {% endfor %}"""  # noqa: E501


def squeezed(markup):
    return re.sub(r">\s+<", "><", markup.strip())


@pytest.mark.parametrize("who", ["president", "employee", "expert", "assessor"])
@pytest.mark.parametrize("stage", ["convened", "deliberating", "closed"])
def test_the_rows_are_the_former_templates_markup(client, jury, who, stage):
    if stage != "convened":
        jury.deliberate()
    if stage == "closed":
        jury.close()
    member = getattr(jury, who)
    client.force_login(member.user)

    for language in ("en", "fr"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(session_url(jury.session))
        with translation.override(language):
            former = (
                engines["django"]
                .from_string(FORMER_ROWS)
                .render(
                    {
                        "agenda": page.context["agenda"],
                        "session": jury.session,
                        "is_president": member.role == Role.PRESIDENT,
                        "VOTED": selectors.VOTED,
                        "TO_VOTE": selectors.TO_VOTE,
                        "CONFLICT": selectors.CONFLICT,
                        "EVALUATED": selectors.EVALUATED,
                    }
                )
            )
        body = re.search(r"<tbody>(.*?)</tbody>", agenda_table(page), re.S).group(1)
        assert squeezed(body) == squeezed(former), language
        assert len(body_rows(page)) == 3


def test_a_cancelled_session_draws_no_rows(client, jury, staff):
    services.session_cancel(session=jury.session, actor=staff, comment="Salle indisponible.")
    page = as_member(client, jury.employee, jury.session)
    assert page.context["agenda"] == []
    content = page.content.decode()
    assert '<table class="agenda">' not in content
    assert "This session was cancelled" in content
