"""Query expressions shared by the apps' selectors and admins."""

from django.db.models import Count, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce


def count_subquery(queryset: QuerySet, group_by: str):
    """A correlated subquery counting `queryset`'s rows (0 when there are none).

    `queryset` filters on an `OuterRef`; `group_by` is the field it is correlated on. It
    annotates a list with a count per row without a join (no row multiplication).
    """
    rows = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(rows), Value(0))
