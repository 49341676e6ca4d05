"""The Spark warehouse: Spark SQL over Parquet tables in a Spark catalog.

Each table is a Parquet folder ``<warehouse_dir>/<table>/`` (``spark.sql.warehouse.dir``
under the workspace by default), registered in the session's catalog under its name when
the warehouse is opened, so a new process (every ``mmp`` command starts its own local
Spark) sees the tables the last ``mmp seed`` wrote. A cluster with a shared Hive metastore
would keep that registration itself (``spark.sql.catalogImplementation: hive`` in
``warehouse.spark.conf``).

Queries are the guarded templates rendered for the ``spark`` dialect: one read-only
SELECT whose values are Spark SQL named parameters (``:start_date``), passed beside the
text as ``spark.sql(sql, args=...)``. Spark SQL has no read-only session and runs a
command as soon as ``spark.sql()`` is called, so behind the guard (sqlglot, the first line)
every query is parsed once more by the session's own parser, which runs nothing, and is
refused unless Spark reads it as one query that only reads (:func:`check_plan`).

Rows come back to the driver only through :meth:`fetch` (training), bounded by
``warehouse.spark.collect_max_rows``; batch inference keeps them in Spark
(:meth:`frame`). Timestamps compare and come back in UTC.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from py4j.protocol import Py4JError
from pyspark.errors import PySparkException

from mmp.errors import DataError, UnsafeSQLError
from mmp.settings.config import EnvConfig
from mmp.spark_session import spark_session
from mmp.sql.guard import READ_ONLY_HINT
from mmp.sql.template import Query, quote_identifier
from mmp.sql.warehouse import Warehouse, count_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_LOGICAL = "org.apache.spark.sql.catalyst.plans.logical."
_ANALYSIS = "org.apache.spark.sql.catalyst.analysis."
#: Catalyst plan nodes a loading query may not hold, and what Spark would do with them.
REFUSED_NODES: dict[str, str] = {
    _LOGICAL + "Command": "run the command {node}",
    _LOGICAL + "ParsedStatement": "run the statement {node}",
    _LOGICAL + "ScriptTransformation": "run a program on the executors (SELECT TRANSFORM "
                                        "... USING)",
    _ANALYSIS + "PlanWithUnresolvedIdentifier": "name a table by IDENTIFIER(...), known "
                                                 "only when Spark runs the query",
}
#: Functions that call whatever Java method the driver or an executor can load.
REFLECTION = frozenset(("reflect", "java_method", "try_reflect"))
_FUNCTION = _ANALYSIS + "UnresolvedFunction"
_COMPUTED_NAME = _ANALYSIS + "ExpressionWithUnresolvedIdentifier"


class SparkWarehouse(Warehouse):
    """Spark SQL over the Parquet tables of one warehouse folder."""

    dialect = "spark"
    driver_error = PySparkException

    def __init__(self, config: EnvConfig) -> None:
        self.config = config
        self.folder = config.spark_warehouse_dir
        self.collect_max_rows = config.spark.collect_max_rows
        self._session: SparkSession | None = None

    def describe(self) -> str:
        return f"spark:{self.config.spark.master} ({self.folder})"

    @property
    def spark(self) -> SparkSession:
        """The session, with this folder's tables registered in its catalog."""
        if self._session is None:
            self._session = spark_session(self.config)
            self._register(self._session)
        return self._session

    def tables(self) -> list[str]:
        """The tables the folder holds (one Parquet folder each)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_dir() and not p.name.startswith((".", "_")))

    def frame(self, query: Query) -> DataFrame:
        """The query as a Spark DataFrame (lazy: nothing runs until it is used)."""
        spark = self.spark
        check_plan(spark, query.sql, self.describe())
        if not self.tables():
            raise DataError(f"no tables in the Spark warehouse at {self.folder}",
                            hint="seed it with `APP_ENV=spark mmp seed`")
        with self._failures():
            return spark.sql(query.sql, args=dict(query.params))

    def fetch(self, query: Query) -> pd.DataFrame:
        """Every row on the driver; refused beyond ``collect_max_rows``."""
        with self._failures():
            frame = self.frame(query).limit(self.collect_max_rows + 1).toPandas()
        if len(frame) > self.collect_max_rows:
            raise DataError(
                f"the query selects more than {self.collect_max_rows} rows, the most the "
                "Spark environment collects to one machine (warehouse.spark.collect_max_rows)",
                hint="narrow the date window, sample in the template (TABLESAMPLE "
                     "(10 PERCENT)), or raise warehouse.spark.collect_max_rows if the driver "
                     "has the memory; batch inference has no such bound")
        return local_frame(frame)

    def count(self, query: Query) -> int:
        check_plan(self.spark, query.sql, self.describe())
        with self._failures():
            return int(self.spark.sql(count_sql(query.sql), args=dict(query.params))
                       .collect()[0][0])

    @contextlib.contextmanager
    def stream(self, query: Query, rows: int) -> Iterator[Iterator[pd.DataFrame]]:
        """Frames of ``rows`` rows, one Spark partition at a time on the driver."""
        data = self.frame(query)
        yield self._frames(data, rows)

    def _frames(self, data: DataFrame, rows: int) -> Iterator[pd.DataFrame]:
        columns = data.columns
        held: list[Any] = []
        with self._failures():
            for row in data.toLocalIterator(prefetchPartitions=True):
                held.append(tuple(row))
                if len(held) == rows:
                    yield local_frame(pd.DataFrame.from_records(held, columns=columns))
                    held = []
        if held:
            yield local_frame(pd.DataFrame.from_records(held, columns=columns))

    def replace_tables(self, tables: Mapping[str, pd.DataFrame]) -> None:
        """Write every table to a staging folder, then swap the folders in.

        A failure while writing leaves the warehouse as it was; the swap itself is one
        rename per table.
        """
        spark = spark_session(self.config)
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = self.folder / f".staging-{os.getpid()}"
        trash = self.folder / f".replaced-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with self._failures():
                for name, frame in tables.items():
                    spark.createDataFrame(frame).write.parquet(str(staging / name))
            trash.mkdir(exist_ok=True)
            for name in tables:
                if (self.folder / name).exists():
                    os.replace(self.folder / name, trash / name)
                os.replace(staging / name, self.folder / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(trash, ignore_errors=True)
        self._session = spark
        self._register(spark)

    def _register(self, spark: SparkSession) -> None:
        """Name each table of the folder in the session's catalog (external Parquet)."""
        for name in self.tables():
            table = quote_identifier(name, "spark")
            location = str(self.folder / name).replace("\\", "\\\\").replace("'", "\\'")
            with self._failures():
                spark.sql(f"DROP TABLE IF EXISTS {table}")
                spark.sql(f"CREATE TABLE {table} USING parquet LOCATION '{location}'")


def check_plan(spark: SparkSession, sql: str, where: str | None = None) -> None:
    """Refuse ``sql`` unless Spark's own parser reads it as one query that only reads.

    The second line behind the guard, in the session's parser (which runs nothing): the
    text must be a query by the grammar's ``query`` rule (no statement, DDL or DML; named
    parameters are fine), and no node of the plan ``spark.sql()`` would run, its CTEs or
    its subqueries, may be a command, a statement, a script transformation (a program run
    on the executors), a call of ``reflect`` or ``java_method`` (any Java method), or a
    name given by ``IDENTIFIER(...)`` (known only when Spark runs it). ``where`` names the
    warehouse in the refusal.
    """
    parser = spark._jsparkSession.sessionState().sqlParser()
    try:
        plan = parser.parsePlan(sql)  # what spark.sql() would run
    except (PySparkException, Py4JError) as exc:
        raise _refusal(f"Spark's parser cannot read the SQL as one query "
                       f"({_spark_message(exc)})", where,
                       hint="fix the SQL at the place Spark names; " + READ_ONLY_HINT) from None
    try:
        parser.parseQuery(sql)
    except (PySparkException, Py4JError):
        action = _beyond_reading(spark, plan) or f"run the statement {plan.nodeName()}"
        raise _refusal(f"Spark's parser reads the SQL as a statement, not as a query: it "
                       f"would {action}", where) from None
    action = _beyond_reading(spark, plan)
    if action is not None:
        raise _refusal(f"Spark's parser finds that the SQL would {action}", where)


def _beyond_reading(spark: SparkSession, plan: Any) -> str | None:
    """What the first node of ``plan`` that does more than read would do, if one does."""
    find = spark._jvm.java.lang.Class.forName
    refused = [(find(name), action) for name, action in REFUSED_NODES.items()]
    for node in _plan_nodes(find(_LOGICAL + "LogicalPlan"), plan):
        for kind, action in refused:
            if kind.isInstance(node):
                return action.format(node=node.nodeName())
        for name in _function_names(node):
            if name is None:
                return ("name a function or column by IDENTIFIER(...), known only when "
                        "Spark runs the query")
            if name in REFLECTION:
                return f"call {name}(), which runs any Java method Spark can load"
    return None


def _spark_message(exc: Exception) -> str:
    """The first line of Spark's own message (py4j's names only the call that failed)."""
    java = getattr(exc, "java_exception", None)
    text = (str(java.getMessage()) if java is not None else str(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _refusal(message: str, where: str | None, hint: str = READ_ONLY_HINT) -> UnsafeSQLError:
    return UnsafeSQLError(f"{message}; a loader may only read, so Spark was not asked to "
                          "run it", template=where, hint=hint)


def _plan_nodes(logical: Any, plan: Any) -> Iterator[Any]:
    """Every plan node: children, CTE definitions and subqueries included."""
    stack = [plan]
    while stack:
        node = stack.pop()
        yield node
        stack += _items(node.children()) + _items(node.subqueries())
        stack += [inner for inner in _items(node.innerChildren()) if logical.isInstance(inner)]


def _function_names(node: Any) -> Iterator[str | None]:
    """The (lower-case, unqualified) name of every function the node's expressions call;
    None for a name computed by ``IDENTIFIER(...)``."""
    stack = _items(node.expressions())
    while stack:
        expression = stack.pop()
        kind = expression.getClass().getName()
        if kind == _FUNCTION:
            yield str(expression.nameParts().last()).lower()
        elif kind == _COMPUTED_NAME:
            yield None
        stack += _items(expression.children())


def _items(seq: Any) -> list[Any]:
    """A Scala ``Seq`` as a Python list."""
    return [seq.apply(i) for i in range(seq.length())]


def local_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A collected frame with the dtypes the other warehouses give (times as naive UTC µs)."""
    for name in frame.columns:
        if frame[name].dtype.kind == "M":
            frame[name] = frame[name].astype("datetime64[us]")
    return frame


def table_path(config: EnvConfig, name: str) -> Path:
    """The Parquet folder of table ``name``."""
    return config.spark_warehouse_dir / name
