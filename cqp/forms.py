from html import escape

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    # Django's message puts the field label after "un", which is wrong for "adresse" in French.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct e-mail address and password. Note that both fields may be "
            "case-sensitive."
        ),
    }
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class QuickSelect(forms.Select):
    """A select whose options are written by Python, not by a template each: the CQP filter
    of a busy evaluator offers 160 of them, and their templates were half the page's time.
    Options are value, label and selection (no per-option attributes)."""

    template_name = "cqp/widgets/quick_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        parts = []
        for group, options, _index in context["widget"]["optgroups"]:
            if group:
                parts.append(f'<optgroup label="{escape(str(group))}">')
            parts.extend(option_tag(o["value"], o["label"], o["selected"]) for o in options)
            if group:
                parts.append("</optgroup>")
        context["widget"]["options_html"] = mark_safe("".join(parts))
        return context


def option_tag(value, label, selected: bool) -> str:
    """One <option>, escaped by the standard library (for the long selects written in Python)."""
    chosen = " selected" if selected else ""
    return f'<option value="{escape(str(value))}"{chosen}>{escape(str(label))}</option>'
