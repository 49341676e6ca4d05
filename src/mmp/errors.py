"""One error hierarchy for mmp.

Every error says what failed, where (file, field, column, URI) and what to do next.
The CLI prints ``str(error)`` and the hint without a traceback; serving maps
``http_status`` onto the response. Nothing here may carry a secret.
"""

from __future__ import annotations


class MmpError(Exception):
    """Base class: a message for the user, a hint, an exit code and an HTTP status."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, object]:
        """A JSON-safe description for API responses and ``--json`` output."""
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class ConfigError(MmpError):
    """A config or recipe file is missing, not YAML, or fails validation."""

    exit_code = 2
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if path:
            where = f"{path}"
            if field:
                where += f": {field}"
            where += ": "
        elif field:
            where = f"{field}: "
        super().__init__(f"{where}{message}", hint=hint)
        self.path = path
        self.field = field


class UnknownEnvironmentError(ConfigError):
    """APP_ENV names an environment with no config file."""

    def __init__(self, name: str, valid: list[str]) -> None:
        super().__init__(
            f"unknown environment {name!r}; valid environments: {', '.join(valid)}",
            field="APP_ENV",
            hint="set APP_ENV to one of the valid environments (default: local)",
        )
        self.name = name
        self.valid = valid


class ParamError(MmpError):
    """A template parameter is undeclared or has a value of the wrong type."""

    exit_code = 2
    http_status = 422

    def __init__(self, message: str, *, param: str, hint: str | None = None) -> None:
        super().__init__(f"parameter {param!r}: {message}", hint=hint)
        self.param = param


class UnsafeSQLError(MmpError):
    """A SQL template or its rendering was refused as unsafe."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, *, template: str | None = None, hint: str | None = None):
        where = f"{template}: " if template else ""
        super().__init__(f"{where}{message}", hint=hint)
        self.template = template


class ModelNotAllowedError(MmpError):
    """A recipe names a model class outside the configured allowlist."""

    exit_code = 2
    http_status = 400

    def __init__(self, class_path: str, allowed: list[str]) -> None:
        super().__init__(
            f"model class {class_path!r} is not in the allowlist",
            hint="choose one of: " + ", ".join(sorted(allowed))
            + " (or add it to models.allowlist in config/base.yaml)",
        )
        self.class_path = class_path


class WarehouseError(MmpError):
    """The warehouse cannot be reached or a query failed."""

    exit_code = 4
    http_status = 503


class DataError(MmpError):
    """Loaded or supplied data cannot be used (empty, missing columns, not parquet...)."""

    exit_code = 2
    http_status = 422


class ServiceUnavailableError(MmpError):
    """An external service (tracking server, database, online store) does not answer."""

    exit_code = 4
    http_status = 503

    def __init__(self, service: str, uri: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(
            f"{service} at {uri} is not reachable: {reason}",
            hint=hint or "start the service (make services), or run with APP_ENV=local",
        )
        self.service = service
        self.uri = uri


class ArtifactError(MmpError):
    """An MLflow run or model artifact is missing or incomplete."""

    exit_code = 2
    http_status = 404


class DataChangedError(MmpError):
    """The rows a model was trained on can no longer be rebuilt as they were."""

    exit_code = 3
    http_status = 409

    def __init__(self, run_id: str, differences: list[str]) -> None:
        super().__init__(
            f"data changed since training run {run_id}: " + "; ".join(differences),
            hint="restore the source tables as they were when the model was trained "
                 "(`mmp inspect` shows its tables and time window), or train a new model "
                 "with `mmp train`",
        )
        self.run_id = run_id
        self.differences = differences


class FeatureStoreError(MmpError):
    """The feature registry, a feature view or its source is missing or unusable."""

    exit_code = 2
    http_status = 503


class PointInTimeError(MmpError):
    """A join produced a feature value the row's time could not have known: refused."""

    exit_code = 3
    http_status = 500


class SchemaDriftError(MmpError):
    """Inference data does not match the training schema; carries the full report."""

    exit_code = 3
    http_status = 422

    def __init__(self, report: object, message: str | None = None) -> None:
        super().__init__(
            message or f"input does not match the training schema: {report}",
            hint="fix the listed columns, or retrain on data with the new schema",
        )
        self.report = report
