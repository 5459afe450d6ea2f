"""CLI: `envmon batch assess|roads --engine spark|duckdb --parquet DIR --month YYYY-MM`: the
national monthly jobs over the Parquet of `envmon export parquet`, on Spark (local mode) or
on DuckDB, giving the rows of `envmon assess` / `envmon roads rank` on the store. The jobs
are in `envmon.batch`; this module parses, calls and prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from envmon.cli.common import CONFIG_HELP, fail, user_errors
from envmon.cli.options import emit, format_option, output_option
from envmon.errors import EnvmonError

ENGINES = ("spark", "duckdb")


class BatchJobError(EnvmonError):
    """The engine failed on the Parquet (a damaged file, a limit it hit)."""
FORMATS = ("json", "csv", "table")

batch_app = typer.Typer(
    name="batch",
    help="National monthly batch jobs over partitioned Parquet (`envmon export parquet`), "
    "on Spark or DuckDB.",
    no_args_is_help=True,
)


def _engine_option():
    return typer.Option("spark", "--engine", help="spark (local[2]) or duckdb "
                        "(the single-machine path).")


def _parquet_option():
    return typer.Option(..., "--parquet", help="Folder written by `envmon export parquet`.")


def _month_option():
    return typer.Option(..., "--month", help="YYYY-MM (Beijing time).")


def _checked(engine: str, month: str):
    from envmon.period import Period

    if engine not in ENGINES:
        raise fail(f"--engine: {engine!r} is not one of {', '.join(ENGINES)}")
    with user_errors():
        return Period.month(month, allow_future=True)


@contextmanager
def _source(engine: str, parquet: Path, month: str, tables: tuple[str, ...]) -> Iterator:
    """The month's Parquet on the engine (Spark: one session for the command). An engine's
    own failure (a damaged file, a limit) is one line naming the engine, not a traceback."""
    from envmon.batch.layout import check_month
    from envmon.batch.sources import ParquetDuckDB, ParquetSpark

    check_month(parquet, month, tables)  # before the JVM starts: a typo is refused at once
    try:
        if engine == "duckdb":
            source = ParquetDuckDB(parquet, month, tables)
            try:
                yield source
            finally:
                source.close()
            return
        from envmon.batch.session import command_session

        with command_session() as spark:
            yield ParquetSpark(spark, parquet, month, tables)
    except (EnvmonError, typer.Exit):
        raise
    except Exception as error:  # noqa: BLE001 - the door: no traceback reaches a user
        text = str(error).strip().splitlines()
        raise BatchJobError(f"the {engine} job failed over {parquet}: "
                            f"{text[0] if text else type(error).__name__}") from None


@batch_app.command("assess")
def assess(
    parquet: Path = _parquet_option(),
    month: str = _month_option(),
    engine: str = _engine_option(),
    level: str = typer.Option("point", "--level", help="point (default)|unit|county|city|"
                              "province."),
    as_of: str | None = typer.Option(None, "--as-of", help="Assess as known at this time "
                                     "(default now)."),
    config: Path | None = typer.Option(None, "--config", help=CONFIG_HELP),
    fmt: str = format_option("json", FORMATS),
    output: Path | None = output_option(),
) -> None:
    """The transmission assessment of a month (per point by default), as `envmon assess`.

    JSON: that of `envmon assess` ({"from", "to", "instant_hours", "complete_days", "rows",
    "provisional"}).
    """
    from envmon.assess.api import AssessOptions, AssessSettings
    from envmon.batch.assess_job import TABLES, run_assess
    from envmon.cli.assess import _as_of, base_config

    period = _checked(engine, month)
    with user_errors():
        options = AssessOptions(level, AssessSettings(base_config(config)), _as_of(as_of))
        with _source(engine, parquet, period.label, TABLES) as source:
            result = run_assess(source, period, options)
    emit(result, fmt, output)


@batch_app.command("roads")
def roads(
    parquet: Path = _parquet_option(),
    month: str = _month_option(),
    engine: str = _engine_option(),
    pollutant: str = typer.Option("pm10", "--pollutant", help="pm10 (default) or pm25."),
    top: int = typer.Option(20, "--top", min=1, help="Length of the dirty and clean lists."),
    fmt: str = format_option("json", FORMATS),
    output: Path | None = output_option(),
) -> None:
    """The road-segment statistics of a month (median of drive-pass means, IQR, passes,
    days, taxis, eligibility) and the dirty/clean lists, as behind `envmon roads rank`.

    JSON: {"month", "pollutant", "engine", "segments": [...], "ranking": {...}}.
    """
    from envmon.batch.roads_job import TABLES, run_roads
    from envmon.roads.rank import POLLUTANTS

    period = _checked(engine, month)
    if pollutant not in POLLUTANTS:
        raise fail(f"--pollutant: {pollutant!r} is not one of {', '.join(POLLUTANTS)}")
    with user_errors(), _source(engine, parquet, period.label, TABLES) as source:
        result = run_roads(source, period, pollutant, top)
    emit(result, fmt, output)


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.add_typer(batch_app, name="batch")
