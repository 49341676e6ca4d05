"""Environment configuration: ``config/base.yaml`` deep-merged with ``config/<APP_ENV>.yaml``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mmp.errors import ConfigError, UnknownEnvironmentError
from mmp.settings.yamlfile import read_yaml, validation_error

DEFAULT_ENV = "local"


class Strict(BaseModel):
    """Base for every config model: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SparkConfig(Strict):
    """Spark SQL over Parquet tables in a Spark catalog (``APP_ENV=spark``)."""

    master: str = Field("local[2]", description="the cluster: local[N], spark://host:port, "
                                                "yarn, k8s://...; MMP_SPARK_MASTER")
    warehouse_dir: str = Field("spark-warehouse", description="spark.sql.warehouse.dir: one "
                                                              "Parquet folder per table, "
                                                              "relative to the workspace")
    collect_max_rows: int = Field(
        1_000_000, gt=0, description="rows training (and any other driver-side step) may "
                                     "collect from Spark; more is refused with a hint")
    connect_timeout_seconds: float = Field(3.0, gt=0, description="probe of a remote master")
    java_home: str | None = Field(None, description="the Java runtime (JAVA_HOME); empty: "
                                                    "the java on the PATH")
    java_options: str = Field("", description="more options of the driver's JVM (e.g. "
                                              "-XX:TieredStopAtLevel=1 for short runs)")
    conf: dict[str, str] = Field(default_factory=dict,
                                 description="more Spark settings, e.g. spark.driver.memory")


class WarehouseConfig(Strict):
    kind: Literal["duckdb", "postgres", "spark"]
    path: str | None = Field(None, description="DuckDB file, relative to the workspace")
    dsn: str | None = Field(None, description="PostgreSQL DSN; secrets via ${VAR}")
    connect_timeout_seconds: float = Field(3.0, gt=0)
    stream_memory_mb: int = Field(
        128, gt=0, description="DuckDB: memory a query streaming rows to batch inference may "
                               "hold; beyond it a sort spills to disk beside the warehouse")
    spark: SparkConfig | None = Field(None, description="kind spark: the session it opens")


class MlflowConfig(Strict):
    tracking_uri: str | None = Field(
        None, description="default: sqlite:///<workspace>/mlruns/mlflow.db")
    experiment: str = "mmp"
    timeout_seconds: float = Field(5.0, gt=0)


class MlflowServerConfig(Strict):
    """The tracking server `make services` starts when none answers (dev only)."""

    host: str = "127.0.0.1"
    port: int = Field(5002, gt=0, lt=65536)
    backend_store_uri: str
    artifacts_destination: str = Field("mlflow-server/artifacts",
                                       description="relative to the workspace")


class ServicesConfig(Strict):
    """Real services of the dev environment and how to administer them."""

    postgres_admin_dsn: str
    mlflow_server: MlflowServerConfig


class TestModeConfig(Strict):
    mock_data_size: int = Field(100, ge=10)
    seed: int = 42


class ModelsConfig(Strict):
    allowlist: list[str] = Field(min_length=1)


class FeatureStoreConfig(Strict):
    """Where the Feast registry of an environment lives and which stores it uses."""

    project: str = Field("mmp", pattern=r"^[A-Za-z0-9_]+$")
    definitions: str = Field("features/definitions.yaml",
                             description="feature definitions, relative to the config folder")
    path: str = Field("feature_repo", description="registry, online store and exported "
                                                  "sources; relative to the workspace")
    offline_store: Literal["duckdb", "postgres", "spark"] = Field(
        "duckdb", description="duckdb: views exported as parquet, joined in process; "
                              "postgres: views read in the PostgreSQL warehouse, joined there; "
                              "spark: views read as Spark tables, joined inside Spark")
    online_store: Literal["sqlite", "redis"] = "sqlite"
    redis_url: str | None = Field(None, description="redis://[:password@]host:port/db; "
                                                    "secrets via ${VAR}")
    online_timeout_seconds: float = Field(1.0, gt=0, description="connect and read timeout "
                                                                 "of the online store")


class BatchConfig(Strict):
    """Batch inference scores and writes this many rows at a time (bounded memory)."""

    chunk_rows: int = Field(100_000, gt=0)


class EnvConfig(Strict):
    """Everything that differs between environments; no recipe knowledge."""

    env: str
    workspace: Path
    warehouse: WarehouseConfig
    mlflow: MlflowConfig = MlflowConfig()
    test_mode: TestModeConfig = TestModeConfig()
    models: ModelsConfig
    services: ServicesConfig | None = None
    feature_store: FeatureStoreConfig = FeatureStoreConfig()
    batch: BatchConfig = BatchConfig()
    config_dir: Path = Field(Path("config"), description="the folder this config came from")

    @model_validator(mode="after")
    def _stores_fit_the_services(self) -> EnvConfig:
        store = self.feature_store
        if store.offline_store == "postgres" and self.warehouse.kind != "postgres":
            raise ValueError("feature_store.offline_store postgres reads the views where they "
                             "live, so it needs warehouse.kind postgres")
        if store.offline_store == "spark" and self.warehouse.kind != "spark":
            raise ValueError("feature_store.offline_store spark reads the views where they "
                             "live, so it needs warehouse.kind spark")
        if store.online_store == "redis" and not store.redis_url:
            raise ValueError("feature_store.online_store redis needs feature_store.redis_url "
                             "(set MMP_REDIS_URL, e.g. redis://127.0.0.1:6379/0)")
        return self

    @property
    def tracking_uri(self) -> str:
        if self.mlflow.tracking_uri:
            return self.mlflow.tracking_uri
        return f"sqlite:///{self.workspace / 'mlruns' / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.workspace / "mlruns" / "artifacts"

    @property
    def warehouse_dsn(self) -> str:
        if not self.warehouse.dsn:
            raise ConfigError("a PostgreSQL warehouse needs a dsn", field="warehouse.dsn",
                              hint="set MMP_PG_DSN, e.g. postgresql://user@127.0.0.1:5432/mmp")
        return self.warehouse.dsn

    @property
    def feature_definitions_path(self) -> Path:
        path = Path(self.feature_store.definitions)
        return path if path.is_absolute() else self.config_dir / path

    @property
    def feature_repo_path(self) -> Path:
        path = Path(self.feature_store.path)
        return path if path.is_absolute() else self.workspace / path

    @property
    def spark(self) -> SparkConfig:
        """The Spark settings of a ``kind: spark`` warehouse (defaults when none are given)."""
        return self.warehouse.spark or SparkConfig()

    @property
    def spark_warehouse_dir(self) -> Path:
        path = Path(self.spark.warehouse_dir)
        return path if path.is_absolute() else self.workspace / path

    @property
    def warehouse_path(self) -> Path:
        if not self.warehouse.path:
            raise ConfigError("a DuckDB warehouse needs a path", field="warehouse.path")
        path = Path(self.warehouse.path)
        return path if path.is_absolute() else self.workspace / path


def config_dir() -> Path:
    """The config folder: ``MMP_CONFIG_DIR`` or ``config/`` in the current folder."""
    return Path(os.environ.get("MMP_CONFIG_DIR", "config"))


def available_envs(directory: Path) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml") if p.stem != "base")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(
    env: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    directory: Path | None = None,
) -> EnvConfig:
    """Load the config of ``env`` (default: ``APP_ENV`` or local) with env-var substitution."""
    environ = os.environ if environ is None else environ
    directory = directory or config_dir()
    env = env or environ.get("APP_ENV") or DEFAULT_ENV
    base_path = directory / "base.yaml"
    if not base_path.is_file():
        raise ConfigError("config file not found", path=str(base_path),
                          hint="run mmp from the project folder or set MMP_CONFIG_DIR")
    valid = available_envs(directory)
    if env not in valid:
        raise UnknownEnvironmentError(env, valid)
    env_path = directory / f"{env}.yaml"
    merged = deep_merge(read_yaml(base_path, environ), read_yaml(env_path, environ))
    merged["env"] = env
    merged["config_dir"] = str(directory.resolve())
    try:
        config = EnvConfig.model_validate(merged)
    except ValidationError as exc:
        raise validation_error(exc, f"{base_path} + {env_path}") from None
    return config.model_copy(update={"workspace": config.workspace.expanduser().resolve()})
