"""Running the measures' queries, in order, while the next ones are built.

On DuckDB each query is compiled to SQL on the calling thread and run on a second thread, on a
connection of its own to the same database, in the order the queries were given. Building and
compiling a query is Python work (about a third of the time of the whole measures table at small
scale), and DuckDB lets Python run while a query runs, so the two overlap: while DuckDB computes
one measure, the next is built. Tables kept for several queries are temporary tables of that
connection, created in turn. On Spark the queries run at once, one after another.

A query's result is a :class:`Pending`: ``result()`` waits for it (and raises the query's error,
or the error of an earlier query it depended on).

:meth:`Queries.planned` keeps what a part of the run compiles as a plan (see
:mod:`daeval.metrics.query_plans`), and runs a kept plan's SQL instead of building it again. What
turns a query's frame into rows is therefore named (``finish``), one of the run's ``finishers``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from daeval.metrics.query_plans import Plan, PlanStore, Step

Finish = Callable[[pd.DataFrame], Any]

_names = itertools.count()


class Pending:
    """A query's result, once it has run; ``finish`` turns the frame into what the caller wants."""

    def __init__(
        self, future: Future, finish: Callable[[Any], Any] | None = None, step: int | None = None
    ):
        self._future = future
        self._finish = finish
        self.step = step
        """The index of its query among the steps recorded for a plan, when one is recorded."""

    def result(self) -> Any:
        value = self._future.result()
        return value if self._finish is None else self._finish(value)


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


class Queries:
    """The queries of one measures run on ``con``; see the module's description."""

    def __init__(
        self, con: ibis.BaseBackend, stack: ExitStack, finishers: Mapping[str, Finish] = {}
    ):
        self.con = con
        self._stack = stack
        self._finishers = finishers
        self._duckdb = con.name == "duckdb"
        if self._duckdb:
            self._cursor = con.con.cursor()  # type: ignore[attr-defined]
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="daeval-queries")
            self._registered: set[str] = set()
            self._failed: BaseException | None = None
            self._submitted: list[Future] = []
            self._memtables: dict[str, pa.Table] = {}
            self._recorded: list[Step] | None = None

    def keep(self, table: ir.Table) -> ir.Table:
        """``table`` computed once for the queries that follow (a temporary table on DuckDB, a
        cached DataFrame on Spark), until the run ends."""
        if not self._duckdb:
            return self._stack.enter_context(table.cache())
        name = f"daeval_kept_{next(_names)}"
        sql = f'CREATE TEMPORARY TABLE "{name}" AS {self.con.compile(table)}'
        self._ask(Step(sql, statement=True, memtables=self._memtables_of(table)))
        op = ops.DatabaseTable(name=name, schema=table.schema(), source=self.con)
        return op.to_expr()

    def release(self, table: ir.Table) -> None:
        """Drop a table :meth:`keep` made, once the queries given before this call have run (on
        Spark, cached tables are released when the run ends)."""
        if self._duckdb:
            self._ask(Step(f'DROP TABLE IF EXISTS "{table.op().name}"', statement=True))

    def frame(self, expr: ir.Table, finish: str | None = None) -> Pending:
        """The rows of ``expr`` as a pandas frame (passed through the finisher named ``finish``
        when given), once the query has run."""
        return self._result(expr, finish)

    def value(self, expr: ir.Scalar) -> Any:
        """The value of a scalar expression, waiting for it (and for the queries before it)."""
        return self._result(expr).result()

    def pending(self, expr: ir.Scalar) -> Pending:
        """The value of a scalar expression, once the query has run."""
        return self._result(expr)

    def planned(
        self, plans: PlanStore | None, key: str, build: Callable[[], list[Pending]]
    ) -> list[Pending]:
        """The results ``build`` gives (queries of this run, built with Ibis), or, when
        ``plans`` keep a plan under ``key``, the same results from the plan's SQL, with nothing
        built. A plan is kept of what ``build`` compiled. On Spark, or without ``plans``, the
        results of ``build``."""
        if not self._duckdb or plans is None:
            return build()
        plan = plans.load(key)
        if plan is not None:
            self._memtables.update(plan.memtables)
            asked = [self._ask(step) for step in plan.steps]
            return [asked[i] for i in plan.results]
        if self._recorded is not None:
            raise RuntimeError("plans cannot be recorded inside one another")
        self._recorded = []
        try:
            results = build()
            steps = tuple(self._recorded)
        finally:
            self._recorded = None
        if all(r.step is not None for r in results):
            used = {n for s in steps for n in s.memtables}
            memtables = {n: self._memtables[n] for n in sorted(used)}
            plans.save(key, Plan(steps, tuple(r.step for r in results), memtables))  # type: ignore[misc]
        return results

    def _result(self, expr: ir.Expr, finish: str | None = None) -> Pending:
        """What Ibis's execute gives for ``expr``, once the query has run."""
        if not self._duckdb:
            finisher = None if finish is None else self._finishers[finish]
            return Pending(_done(expr.execute()), finisher)
        table = expr.as_table()
        schema = tuple((name, str(dtype)) for name, dtype in table.schema().items())
        sql = self.con.compile(table)
        memtables = self._memtables_of(expr)
        scalar = isinstance(expr, ir.Scalar)
        return self._ask(Step(sql, False, memtables, schema, scalar, finish))

    def _memtables_of(self, expr: ir.Expr) -> tuple[str, ...]:
        """The names of the in-memory tables ``expr`` reads, their data kept for the worker."""
        names = []
        for table in expr.op().find(ops.InMemoryTable):
            if table.name not in self._memtables:
                self._memtables[table.name] = table.data.to_pyarrow(table.schema)
            names.append(table.name)
        return tuple(dict.fromkeys(names))

    def _ask(self, step: Step) -> Pending:
        """Run ``step`` after the steps asked before it (recording it when a plan is being
        recorded); its result as Ibis's execute converts a result, when it has one."""
        index = None
        if self._recorded is not None:
            index = len(self._recorded)
            self._recorded.append(step)
        memtables = [(n, self._memtables[n]) for n in step.memtables]
        future = self._submit(step.sql, memtables, step.statement)
        if step.schema is None:
            return Pending(future, step=index)
        from ibis.backends.duckdb.converter import DuckDBPandasData
        from ibis.formats.pandas import PandasData

        schema = ibis.schema({name: ibis.dtype(dtype) for name, dtype in step.schema})
        finisher = None if step.finish is None else self._finishers[step.finish]

        def converted(arrow: Any) -> Any:
            # As Ibis's DuckDB backend converts a result, then as the expression's type does.
            frame = DuckDBPandasData.convert_table(arrow.to_pandas(), schema)
            if step.scalar:
                return PandasData.convert_scalar(frame, schema.types[0])
            frame = PandasData.convert_table(frame, schema)
            return frame if finisher is None else finisher(frame)

        return Pending(future, converted, index)

    def _submit(
        self, sql: str, memtables: list[tuple[str, pa.Table]], statement: bool = False
    ) -> Future:
        """Run ``sql`` (with ``statement``, one that gives no rows: making or dropping a kept
        table) on the worker, after the queries submitted before it."""
        future = self._worker.submit(self._run, sql, memtables, statement)
        self._submitted.append(future)
        return future

    def _run(self, sql: str, memtables: list[tuple[str, pa.Table]], statement: bool) -> Any:
        """On the worker thread: register the query's in-memory tables, then run it."""
        if self._failed is not None:
            raise RuntimeError(f"an earlier query failed: {self._failed}") from self._failed
        try:
            for name, data in memtables:
                if name not in self._registered:
                    self._cursor.register(name, data)
                    self._registered.add(name)
            if statement:
                self._cursor.execute(sql)
                return None
            return self._cursor.sql(sql).to_arrow_table()
        except BaseException as error:
            self._failed = error
            raise

    def interrupt(self) -> None:
        """Stop the query running and fail those not yet started (when the run stops on an
        error or Ctrl-C, so that it does not wait for them)."""
        if not self._duckdb:
            return
        self._failed = self._failed or RuntimeError("the measures run was stopped")
        for future in self._submitted:
            future.cancel()  # those not started
        for future in self._submitted:
            # A query may be about to start as it is interrupted: interrupt it until it stops.
            while not future.done():
                self._cursor.interrupt()
                wait([future], timeout=0.05)

    def close(self) -> None:
        if self._duckdb:
            self._worker.shutdown(wait=True, cancel_futures=True)
            self._cursor.close()


@contextmanager
def measure_queries(
    con: ibis.BaseBackend, finishers: Mapping[str, Finish] = {}
) -> Iterator[Queries]:
    """The queries of one measures run on ``con`` (``finishers`` turning their frames into
    rows); kept tables are dropped on leaving, and leaving on an error stops the queries still
    to run."""
    with ExitStack() as stack:
        queries = Queries(con, stack, finishers)
        try:
            yield queries
        except BaseException:
            queries.interrupt()
            raise
        finally:
            queries.close()
