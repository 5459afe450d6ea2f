"""The one local SparkSession of a batch command: `local[2]`, Beijing session time, quiet.

Spark runs on the JVM: without Java the command stops with one line saying how to get it
(`JAVA_HOME`, or `apt-get install default-jre-headless`) rather than py4j's traceback.
Settings and why:
- `local[2]`: this code runs the jobs in one process for tests and single machines; a
  cluster gives its own master through `spark-submit` (`master`);
- session time zone Asia/Shanghai: hours, days and months are cut in Beijing time, as the
  stores' sessions do (`date_trunc('day', …)` in the shared SQL depends on it);
- 4 shuffle partitions (not 200): a month of a province is small for Spark, and 200 tasks
  of nothing cost more than the work in local mode;
- partition column type inference off: `province=14` stays the text '14', `month=2026-11`
  the text '2026-11', as the export wrote them;
- broadcast joins planned from Parquet sizes only below 1 MB (registry tables), others only
  where adaptive execution measured the side small (10 MB): compressed Parquet makes a
  month of records look small, and broadcasting it failed at Spark's default 10 MB
  (measured: 1 000 points, 2.2 M records, "Not enough memory to build and broadcast");
- 2 GB driver memory (in local mode the driver is the executor; Spark's default is 1 GB);
- log level ERROR, no UI, no console progress: a command prints its result, not Spark's
  chatter.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from envmon.errors import EnvmonError

JAVA_MISSING = ("Spark needs Java 17 or newer: set JAVA_HOME to a JDK/JRE or install one "
                "(`apt-get install default-jre-headless`)")


class SparkUnavailable(EnvmonError):
    """Spark cannot start here (no Java, no pyspark)."""


def java_binary() -> str | None:
    """The java Spark will run: $JAVA_HOME/bin/java, else `java` on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return str(candidate) if candidate.is_file() else None
    return shutil.which("java")


def spark_session(master: str = "local[2]", app_name: str = "envmon-batch"):
    """Start (or reuse) the SparkSession; SparkUnavailable with one clear line when it
    cannot."""
    if java_binary() is None:
        raise SparkUnavailable(JAVA_MISSING)
    # pyspark warns about the pandas version, which the jobs never use (they collect rows)
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas",
                            FutureWarning)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable("pyspark is not installed (pip install pyspark)") from None
    log4j = Path(__file__).with_name("log4j2.properties")
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "Asia/Shanghai")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
               .config("spark.sql.autoBroadcastJoinThreshold", "1MB")
               .config("spark.sql.adaptive.autoBroadcastJoinThreshold", "10MB")
               .config("spark.driver.memory", "2g")
               .config("spark.driver.extraJavaOptions",
                       f"-Dlog4j2.configurationFile=file:{log4j}"))
    try:
        session = builder.getOrCreate()
    except Exception as error:  # the JVM did not start: say so in one line
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        raise SparkUnavailable(f"Spark did not start ({first}); {JAVA_MISSING}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


@contextmanager
def command_session(master: str = "local[2]") -> Iterator[Any]:
    """The session of one command, created once and stopped at its end; a session already
    running in this process (a notebook, a test) is used and left running."""
    if java_binary() is None:
        raise SparkUnavailable(JAVA_MISSING)
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    session = spark_session(master)
    try:
        yield session
    finally:
        if running is None:
            session.stop()
