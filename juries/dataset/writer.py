"""Fast inserts for the generated dataset: COPY on PostgreSQL, executemany elsewhere.

Rows are plain tuples in the order of the named fields (attnames: `candidate_id`, not
`candidate`); ids are given by the generator (so that rows can point at each other without
reading anything back) and the sequences are set past them at the end. Nothing here runs in a
request: the model's `save()`, defaults and validators are not called, the generator gives
every value.
"""

from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, models


class Table:
    """Where rows of one model (or a many-to-many table) go, and how each value is stored."""

    def __init__(self, model: type[models.Model], fields: list[str]):
        self.model = model
        self.fields = fields
        opts = model._meta
        by_attname = {f.attname: f for f in opts.concrete_fields}
        self.model_fields = [by_attname[name] for name in fields]
        self.columns = [f.column for f in self.model_fields]
        self.db_table = opts.db_table

    def next_id(self) -> int:
        """The first free id (the generator numbers its rows from there)."""
        with connection.cursor() as cursor:
            pk = self.model._meta.pk.column
            cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{self.db_table}"')
            return cursor.fetchone()[0] + 1

    def write(self, rows: Iterable[tuple], chunk: int = 20_000) -> int:
        if connection.vendor == "postgresql":
            return self._copy(rows)
        return self._insert(rows, chunk)

    def _copy(self, rows) -> int:
        from psycopg.types.json import Jsonb

        json_at = [i for i, f in enumerate(self.model_fields) if isinstance(f, models.JSONField)]
        columns = ", ".join(f'"{c}"' for c in self.columns)
        count = 0
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
            with raw.copy(f'COPY "{self.db_table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = Jsonb(row[i])
                    copy.write_row(row)
                    count += 1
        return count

    def _insert(self, rows, chunk: int) -> int:
        columns = ", ".join(f'"{c}"' for c in self.columns)
        marks = ", ".join(["%s"] * len(self.columns))
        sql = f'INSERT INTO "{self.db_table}" ({columns}) VALUES ({marks})'
        fields = self.model_fields
        count = 0
        batch = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(
                    [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
                )
                if len(batch) >= chunk:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


def link_table(model: type[models.Model], field_name: str) -> Table:
    """The table of a many-to-many field (e.g. Branch.idcc_conventions): id, source, target."""
    m2m = model._meta.get_field(field_name)
    return Table(
        m2m.remote_field.through,
        ["id", f"{m2m.m2m_field_name()}_id", f"{m2m.m2m_reverse_field_name()}_id"],
    )


def reset_sequences(model_classes: list[type[models.Model]]) -> None:
    """Set each table's id sequence past the ids the generator gave (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_classes)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def bulk_reference_checks() -> bool:
    """Turn PostgreSQL's per-row reference checks off for this transaction, if allowed.

    Each row written fires a trigger checking its foreign keys (deferred to the commit: about
    a third of the generation's time). As a superuser the generator turns them off
    (session_replication_role, as pg_restore --disable-triggers does) and checks every key
    afterwards with one query per key: `check_references`. False: the database checks them.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


class BrokenReference(Exception):
    """A written row points at a row that does not exist."""


def check_references(model_classes: list[type[models.Model]]) -> None:
    """Every foreign key of these models' tables (and their many-to-many tables) points at a
    row; raises BrokenReference naming the first that does not. Triggers back on first."""
    tables = {}
    for model in model_classes:
        tables[model._meta.db_table] = model
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            tables[through._meta.db_table] = through
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        for db_table, model in tables.items():
            for field in model._meta.concrete_fields:
                if not (field.is_relation and field.many_to_one and field.db_constraint):
                    continue
                target = field.target_field
                cursor.execute(
                    f'SELECT c."{field.column}" FROM "{db_table}" c '
                    f'WHERE c."{field.column}" IS NOT NULL AND NOT EXISTS ('
                    f'SELECT 1 FROM "{target.model._meta.db_table}" t '
                    f'WHERE t."{target.column}" = c."{field.column}") LIMIT 1'
                )
                broken = cursor.fetchone()
                if broken:
                    raise BrokenReference(
                        f"{db_table}.{field.column} = {broken[0]}: no such "
                        f"{target.model._meta.db_table}.{target.column}"
                    )
