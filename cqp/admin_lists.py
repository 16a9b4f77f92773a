"""Admin lists of a national volume: filters with hundreds of choices, rows drawn cheaply.

Django's related-field filters print one link per choice, each with its own query string: at
500 CQPs that is a long column to scroll and a good part of the page's time. `SelectListFilter`
shows a select and a button instead, in a GET form that keeps the list's other parameters.
"""

import hashlib
from functools import cached_property

from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models.signals import post_delete, post_save
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .forms import option_tag


class SelectListFilter(admin.SimpleListFilter):
    """A filter on one parameter whose choices are shown as a select."""

    template = "admin/cqp/select_filter.html"

    def choices(self, changelist):
        current = self.value()
        # The form sends the list's other parameters again (search, order, other filters);
        # the page number goes: the filtered list starts on its first page.
        self.kept_params = [
            (name, value)
            for name, values in changelist.params.items()
            if name != self.parameter_name
            for value in (values if isinstance(values, list) else [values])
        ]
        # Joined here, escaped by the standard library: a template loop (or format_html) over
        # 900 options of a superuser's lists cost more than the rows themselves.
        self.options = mark_safe(
            "\n".join(
                option_tag(value, label, str(value) == current)
                for value, label in self.lookup_choices
            )
        )
        return []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return self.filter_on(queryset, value)

    def get_facet_counts(self, pk_attname, filtered_qs):
        # The select shows no counts: "Show counts" would otherwise aggregate one filtered
        # count per choice (500 CQPs) over the whole list.
        return {}

    def filter_on(self, queryset, value: str):
        raise NotImplementedError


MAX_ID = 2**63 - 1  # a bigint: a longer number is no row's id (and SQLite would refuse it)


def id_or_none(value: str) -> int | None:
    """An id typed in a query string, or None for anything else (signs, spaces, ², ١…)."""
    if not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


COUNT_GENERATION = "admin-count:generation"


class CachedCountPaginator(Paginator):
    """Counts a list's rows once for the same query until a row of the lists' models is
    written (or ADMIN_COUNT_CACHE_SECONDS pass).

    Counting a branch's 50,000 dossiers (or the candidates of a common name) costs more than
    drawing the page, and each page, sort or return to the list counts again.
    """

    @cached_property
    def count(self) -> int:
        if settings.ADMIN_COUNT_CACHE_SECONDS <= 0:
            return super().count
        queryset = self.object_list
        try:
            sql, params = queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:  # e.g. .none(): nothing to count
            return 0
        generation = cache.get(COUNT_GENERATION, 0)
        query = f"{generation}\0{sql}\0{params!r}"
        key = "admin-count:" + hashlib.sha256(query.encode()).hexdigest()
        count = cache.get(key)
        if count is None:
            count = super().count
            cache.set(key, count, settings.ADMIN_COUNT_CACHE_SECONDS)
        return count


def forget_counts(**kwargs) -> None:
    """Any write to a counted model: every cached count is stale."""
    try:
        cache.incr(COUNT_GENERATION)
    except ValueError:  # not set yet (or evicted)
        cache.set(COUNT_GENERATION, 1, None)


class ListRowsMixin:
    """Long lists: counted once until a write, rows drawn without a template per row."""

    # Half Django's default: a page of a long list in under half the time.
    list_per_page = 50
    paginator = CachedCountPaginator
    # Other models whose rows change this list's counts (its filters and scope go through them).
    counted_with = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for model in (self.model, *self.counted_with):
            for signal in (post_save, post_delete):
                signal.connect(forget_counts, sender=model, dispatch_uid=f"counts-{model}")

    def action_checkbox(self, obj):
        """Django's checkbox (same markup), formatted rather than rendered by a widget
        template: a template per row was a sixth of the list's time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )
