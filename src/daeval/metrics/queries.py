"""Running the measures' queries, in order, while the next ones are built.

On DuckDB each query is compiled to SQL on the calling thread and run on a second thread, on a
connection of its own to the same database, in the order the queries were given. Building and
compiling a query is Python work (about a third of the time of the whole measures table at small
scale), and DuckDB lets Python run while a query runs, so the two overlap: while DuckDB computes
one measure, the next is built. Tables kept for several queries are temporary tables of that
connection, created in turn. On Spark the queries run at once, one after another.

A query's result is a :class:`Pending`: ``result()`` waits for it (and raises the query's error,
or the error of an earlier query it depended on).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd

_names = itertools.count()


class Pending:
    """A query's result, once it has run; ``finish`` turns the frame into what the caller wants."""

    def __init__(self, future: Future, finish: Callable[[Any], Any] | None = None):
        self._future = future
        self._finish = finish

    def result(self) -> Any:
        value = self._future.result()
        return value if self._finish is None else self._finish(value)


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


class Queries:
    """The queries of one measures run on ``con``; see the module's description."""

    def __init__(self, con: ibis.BaseBackend, stack: ExitStack):
        self.con = con
        self._stack = stack
        self._duckdb = con.name == "duckdb"
        if self._duckdb:
            self._cursor = con.con.cursor()  # type: ignore[attr-defined]
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="daeval-queries")
            self._registered: set[str] = set()
            self._failed: BaseException | None = None
            self._submitted: list[Future] = []

    def keep(self, table: ir.Table) -> ir.Table:
        """``table`` computed once for the queries that follow (a temporary table on DuckDB, a
        cached DataFrame on Spark), until the run ends."""
        if not self._duckdb:
            return self._stack.enter_context(table.cache())
        name = f"daeval_kept_{next(_names)}"
        sql = f'CREATE TEMPORARY TABLE "{name}" AS {self.con.compile(table)}'
        self._submit(sql, table, statement=True)
        op = ops.DatabaseTable(name=name, schema=table.schema(), source=self.con)
        return op.to_expr()

    def release(self, table: ir.Table) -> None:
        """Drop a table :meth:`keep` made, once the queries given before this call have run (on
        Spark, cached tables are released when the run ends)."""
        if self._duckdb:
            self._submit(f'DROP TABLE IF EXISTS "{table.op().name}"', table, statement=True)

    def frame(self, expr: ir.Table, finish: Callable[[pd.DataFrame], Any] | None = None) -> Pending:
        """The rows of ``expr`` as a pandas frame (passed through ``finish`` when given), once
        the query has run."""
        return self._result(expr, finish)

    def value(self, expr: ir.Scalar) -> Any:
        """The value of a scalar expression, waiting for it (and for the queries before it)."""
        return self._result(expr).result()

    def _result(self, expr: ir.Expr, finish: Callable[[Any], Any] | None = None) -> Pending:
        """What Ibis's execute gives for ``expr``, once the query has run."""
        if not self._duckdb:
            return Pending(_done(expr.execute()), finish)
        from ibis.backends.duckdb.converter import DuckDBPandasData

        table = expr.as_table()
        future = self._submit(self.con.compile(table), expr)

        def converted(arrow: Any) -> Any:
            # As Ibis's DuckDB backend converts a result.
            frame = DuckDBPandasData.convert_table(arrow.to_pandas(), table.schema())
            result = expr.__pandas_result__(frame)
            return result if finish is None else finish(result)

        return Pending(future, converted)

    def _submit(self, sql: str, expr: ir.Expr, statement: bool = False) -> Future:
        """Run ``sql`` (the SQL of ``expr``; with ``statement``, one that gives no rows: making
        or dropping a kept table) on the worker, after the queries submitted before it."""
        memtables = list(expr.op().find(ops.InMemoryTable))
        future = self._worker.submit(self._run, sql, memtables, statement)
        self._submitted.append(future)
        return future

    def _run(self, sql: str, memtables: list[ops.InMemoryTable], statement: bool) -> Any:
        """On the worker thread: register the query's in-memory tables, then run it."""
        if self._failed is not None:
            raise RuntimeError(f"an earlier query failed: {self._failed}") from self._failed
        try:
            for table in memtables:
                if table.name not in self._registered:
                    self._cursor.register(table.name, table.data.to_pyarrow(table.schema))
                    self._registered.add(table.name)
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
def measure_queries(con: ibis.BaseBackend) -> Iterator[Queries]:
    """The queries of one measures run on ``con``; kept tables are dropped on leaving, and
    leaving on an error stops the queries still to run."""
    with ExitStack() as stack:
        queries = Queries(con, stack)
        try:
            yield queries
        except BaseException:
            queries.interrupt()
            raise
        finally:
            queries.close()
