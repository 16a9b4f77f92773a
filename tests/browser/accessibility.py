"""axe-core in a Playwright page: the accessibility rules a page breaks, listed readably.

axe-core is vendored (tests/browser/vendor) and injected with `page.evaluate`, which the page's
Content-Security-Policy (`script-src 'self'`) does not govern, unlike an inline script tag.
(axe's own CSSOM preload re-creates @import-ed style sheets as <style> elements, which that
policy refuses: on the admin pages, whose forms.css imports widgets.css, the browser console
reports it and only the css-orientation-lock rule misses that one sheet of Django's.)
Every rule axe runs by default is kept (WCAG 2.0–2.2 A and AA, and its best practices) and
violations of every impact count: a "minor" one (say, a landmark without a name) is still a
barrier for someone, and the list is short enough to fix rather than to triage.
"""

import re
from dataclasses import dataclass
from pathlib import Path

AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
RUN_OPTIONS = {"resultTypes": ["violations"]}

RUN_AXE = """async (options) => {
  const results = await axe.run(document, options);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    """One element breaking one rule."""

    rule: str
    impact: str
    help: str
    url: str
    target: str
    html: str
    summary: str

    def __str__(self):
        html = re.sub(r"\s+", " ", self.html)[:200]
        return (
            f"{self.rule} ({self.impact}): {self.help}\n"
            f"      at {self.target}\n      {html}\n      {self.url}"
        )


@dataclass(frozen=True)
class Known:
    """A violation left on purpose: `rule` on the elements `target` and `html` describe."""

    rule: str
    target: str  # a regular expression searched in axe's CSS selector of the element
    html: str  # a regular expression the element's whole HTML matches
    reason: str

    def matches(self, violation: Violation) -> bool:
        return (
            violation.rule == self.rule
            and re.search(self.target, violation.target) is not None
            and re.fullmatch(self.html, violation.html.strip(), re.DOTALL) is not None
        )


def axe_violations(page, known: tuple[Known, ...] = ()) -> list[Violation]:
    """Run axe on the page as it stands; every violation but the `known` ones, one per element."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    found = [
        Violation(
            rule=rule["id"],
            impact=rule["impact"] or "",
            help=rule["help"],
            url=rule["helpUrl"],
            target=node["target"],
            html=node["html"],
            summary=node["summary"] or "",
        )
        for rule in page.evaluate(RUN_AXE, RUN_OPTIONS)
        for node in rule["nodes"]
    ]
    return [v for v in found if not any(k.matches(v) for k in known)]


DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const element of document.querySelectorAll("[id]")) {
    const list = seen.get(element.id) || [];
    list.push(element.outerHTML.slice(0, 200));
    seen.set(element.id, list);
  }
  return [...seen].filter(([, list]) => list.length > 1);
}"""


def duplicate_ids(page, known: tuple[Known, ...] = ()) -> list[Violation]:
    """Elements sharing an id. axe 4.14 no longer reports them as such (WCAG 2.2 dropped 4.1.1),
    yet a label or an aria-* attribute naming a duplicated id reaches only the first element:
    the others go unnamed, which axe's own label rules do not see."""
    found = [
        Violation(
            rule="duplicate-id",
            impact="serious",
            help=f"{len(elements)} elements share the id {identifier!r}",
            url="https://html.spec.whatwg.org/multipage/dom.html#the-id-attribute",
            target=f"#{identifier}",
            html=" | ".join(elements),
            summary="",
        )
        for identifier, elements in page.evaluate(DUPLICATE_IDS)
    ]
    return [v for v in found if not any(k.matches(v) for k in known)]


def report(violations_by_page: dict[str, list[Violation]]) -> str:
    """Every page with its violations, for an assertion message."""
    lines = []
    for name, violations in violations_by_page.items():
        if violations:
            lines.append(f"{name}: {len(violations)} violation(s)")
            lines.extend(f"    {violation}" for violation in violations)
    return "\n".join(lines)
