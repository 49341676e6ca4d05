"""The Spark session of the ``spark`` environment: found, checked, started once per process.

pyspark is imported here, inside :func:`spark_session`, and only by the commands that
query Spark; nothing else in mmp imports it. Before a JVM is started the two things that
make Spark slow to fail are checked in a fraction of a second: a Java runtime (17 or newer,
``JAVA_HOME`` or ``java`` on the ``PATH``) and the master (``local[N]``, or a
``spark://host:port`` that must accept a connection within the configured timeout). Each
refusal is one :class:`~mmp.errors.ServiceUnavailableError` or
:class:`~mmp.errors.ConfigError` naming the fix.

The session compares times in UTC (session time zone and the JVM's), moves frames with
Arrow, and runs Python on the executors with this interpreter. Its start-up time is kept
in the session's conf as ``spark.mmp.startupSeconds``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mmp.errors import ConfigError, ServiceUnavailableError
from mmp.settings.config import EnvConfig

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: pyspark 4 runs on Java 17 and newer.
MIN_JAVA = 17
JAVA_HINT = ("install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless) or "
             "set JAVA_HOME to one, or run with APP_ENV=local")
MASTER_HINT = ("set MMP_SPARK_MASTER to local[2] (a Spark inside this process), "
               "spark://host:7077 of a running cluster, yarn or k8s://https://host:port, "
               "or run with APP_ENV=local")
_LOCAL = re.compile(r"^local(\[(\d+|\*)(,\d+)?\])?$")
_REMOTE = re.compile(r"^(spark|k8s)://(.+)$")
STARTUP_KEY = "spark.mmp.startupSeconds"
#: Spark's own log: errors only, on stderr (its default prints INFO and WARN lines).
LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = stderr
appender.console.type = Console
appender.console.name = stderr
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark: %p %c{1}: %m%n
# a failed task is reported by mmp with its reason; the executors' stack traces are noise
logger.executor.name = org.apache.spark.executor.Executor
logger.executor.level = fatal
logger.tasks.name = org.apache.spark.scheduler.TaskSetManager
logger.tasks.level = fatal
logger.writer.name = org.apache.spark.sql.execution.datasources.FileFormatWriter
logger.writer.level = fatal
logger.utils.name = org.apache.spark.util.Utils
logger.utils.level = fatal
"""


def find_java(master: str, home: str | None = None) -> tuple[str, int]:
    """The Java executable Spark will start (``home``/bin/java, else the process's
    ``JAVA_HOME``, else the ``java`` on the ``PATH``) and its major version; refused when
    missing or older than 17."""
    home = home or os.environ.get("JAVA_HOME") or None
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        where = f"JAVA_HOME={home} has no bin/java" if home else "no java on the PATH"
        raise ServiceUnavailableError("Spark", master, f"no Java runtime ({where})",
                                      hint=JAVA_HINT)
    return java, _java_version(master, java)


@functools.lru_cache(maxsize=8)
def _java_version(master: str, java: str) -> int:
    """The major version of ``java``, asked once per process; refused below 17."""
    try:
        shown = subprocess.run([java, "-version"], capture_output=True, text=True,
                               timeout=20).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ServiceUnavailableError("Spark", master, f"{java} -version failed ({exc})",
                                      hint=JAVA_HINT) from None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', shown)
    major = int(found[1]) if found else 0
    if major == 1 and found and found[2]:  # "1.8.0" is Java 8
        major = int(found[2])
    if major < MIN_JAVA:
        raise ServiceUnavailableError(
            "Spark", master,
            f"{java} is Java {major or 'of unknown version'}, older than {MIN_JAVA}",
            hint=JAVA_HINT)
    return major


def check_master(master: str, timeout: float) -> None:
    """Refuse a master Spark could not use, before any JVM starts (seconds, not minutes)."""
    if _LOCAL.match(master) or master == "yarn":
        return
    remote = _REMOTE.match(master)
    if not remote:
        raise ConfigError(f"{master!r} is not a Spark master", field="MMP_SPARK_MASTER",
                          hint=MASTER_HINT)
    for address in remote[2].removeprefix("https://").removeprefix("http://").split(","):
        host, _, port = address.partition(":")
        if not port.split("/")[0].isdigit():
            raise ConfigError(f"{master!r} has no port in {address!r}",
                              field="MMP_SPARK_MASTER", hint=MASTER_HINT)
        try:
            socket.create_connection((host, int(port.split("/")[0])), timeout=timeout).close()
        except OSError as exc:
            raise ServiceUnavailableError(
                "Spark master", master, exc.strerror or type(exc).__name__,
                hint="start the cluster, set MMP_SPARK_MASTER=local[2] to run Spark inside "
                     "this process, or run with APP_ENV=local") from None


def spark_session(config: EnvConfig) -> SparkSession:
    """This process's Spark session, started on first use with the config's settings.

    Later calls return the same session (a session's static settings such as the warehouse
    folder are those of its first config; tables are registered with their own location,
    so another workspace works in the same session).
    """
    from pyspark.sql import SparkSession

    settings = config.spark
    check_master(settings.master, settings.connect_timeout_seconds)
    java, _major = find_java(settings.master, settings.java_home or None)
    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master != settings.master:
            raise ConfigError(
                f"this process already runs Spark on {active.sparkContext.master}, not "
                f"{settings.master}", field="MMP_SPARK_MASTER",
                hint="one process talks to one Spark: run the command again in a new process")
        return active
    if settings.java_home:  # Spark's launcher reads JAVA_HOME from the environment
        os.environ["JAVA_HOME"] = settings.java_home
    os.environ.setdefault("JAVA_HOME", str(Path(java).resolve().parents[1]))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    java_options = (f"-Duser.timezone=UTC -Dlog4j2.configurationFile={_log_config(config)} "
                    f"{settings.java_options}").strip()
    conf = {
        "spark.sql.warehouse.dir": str(config.spark_warehouse_dir),
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.sources.partitionOverwriteMode": "static",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.pyspark.python": sys.executable,
        **settings.conf,
    }
    builder = SparkSession.builder.master(settings.master).appName("mmp")
    for key, value in conf.items():
        builder = builder.config(key, value)
    started = time.monotonic()
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # py4j / PySparkRuntimeError: the JVM or the master failed
        raise ServiceUnavailableError(
            "Spark", settings.master, _first_line(exc),
            hint=f"check the Java runtime and the master; {MASTER_HINT}") from None
    session.sparkContext.setLogLevel("ERROR")
    session.conf.set(STARTUP_KEY, f"{time.monotonic() - started:.2f}")
    return session


def startup_seconds(session: SparkSession) -> float:
    """How long the session took to start (seconds)."""
    return float(session.conf.get(STARTUP_KEY, "0"))


def stop_spark() -> None:
    """Stop this process's Spark session, if one runs."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def _log_config(config: EnvConfig) -> Path:
    """The log4j2 file of Spark's JVM, written once into the workspace."""
    path = config.workspace / ".spark" / "log4j2.properties"
    if not path.is_file() or path.read_text(encoding="utf-8") != LOG4J2:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(LOG4J2, encoding="utf-8")
    return path


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
