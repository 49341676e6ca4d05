"""The ``mmp`` command line: seed, train, batch-inference and demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from mmp.errors import ConfigError, MmpError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="mmp: recipe-driven ML pipeline (train, batch-score, serve).")
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
DEMO_RECIPE = Path("recipes/classification.yaml")
DEMO_ROWS = 2000


class State:
    debug = False


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks for every error")] = False,
) -> None:
    State.debug = debug


ParamOption = Annotated[list[str] | None, typer.Option(
    "--param", "-p", help="template parameter as name=value (repeatable)")]


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; a pair without '=' is refused."""
    params: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param {pair!r} is not of the form name=value",
                              hint="for example: --param start_date=2024-01-01")
        params[name.strip()] = value
    return params


def _progress(message: str) -> None:
    console.print(f"[dim]•[/dim] {message}")


@app.command()
def seed(
    rows: Annotated[int | None, typer.Option(help="sessions to generate (default: "
                                             "test_mode.mock_data_size)")] = None,
    random_seed: Annotated[int | None, typer.Option("--seed", help="generator seed")] = None,
) -> None:
    """Fill the warehouse with deterministic synthetic data."""
    from mmp.pipelines.seed import seed_warehouse
    from mmp.settings import load_config

    config = load_config()
    counts = seed_warehouse(config, rows or config.test_mode.mock_data_size,
                            config.test_mode.seed if random_seed is None else random_seed)
    for table, count in counts.items():
        out.print(f"{table}: {count} rows")


@app.command()
def train(
    recipe: Annotated[Path, typer.Option(help="recipe YAML file")],
    param: ParamOption = None,
) -> None:
    """Train a recipe's model and log it to MLflow; prints the run id."""
    from mmp.pipelines.train import train as run_training
    from mmp.settings import load_settings

    settings = load_settings(recipe)
    result = run_training(settings, parse_params(param), progress=_progress)
    out.print(f"run_id: {result.run_id}")
    for name, value in sorted(result.metrics.items()):
        out.print(f"{name}: {value:.4f}")


@app.command("batch-inference")
def batch_inference(
    run_id: Annotated[str, typer.Option(help="MLflow run id of an `mmp train` run")],
    param: ParamOption = None,
    output: Annotated[Path | None, typer.Option("--out", help="parquet file to write")] = None,
) -> None:
    """Score a new window with a trained run's own template; writes parquet atomically."""
    from mmp.pipelines.batch import batch_inference as run_batch
    from mmp.settings import load_config

    result = run_batch(load_config(), run_id, parse_params(param), output, progress=_progress)
    out.print(f"predictions: {result.path} ({result.rows} rows, {result.entities} entities)")


@app.command()
def demo(
    rows: Annotated[int, typer.Option(help="sessions to generate")] = DEMO_ROWS,
) -> None:
    """Seed, train the example recipe, batch-score a later window and summarise."""
    from mmp.pipelines.demo import run_demo

    summary = run_demo(DEMO_RECIPE, rows, progress=_progress)
    out.print(summary)


services_app = typer.Typer(no_args_is_help=True,
                            help="The dev environment's services (PostgreSQL, MLflow, Redis).")
app.add_typer(services_app, name="services")


@services_app.command("up")
def services_up() -> None:
    """Create the databases and start the MLflow server on :5002 unless one answers."""
    from mmp import services
    from mmp.settings import load_config

    for line in services.services_up(load_config()):
        out.print(line)


@services_app.command("status")
def services_status() -> None:
    """Probe every service of the environment; exit 4 if any does not answer."""
    from mmp import services
    from mmp.settings import load_config

    checks = services.status(load_config())
    for check in checks:
        out.print(check.line(), highlight=False)
    if not all(check.ok for check in checks):
        raise typer.Exit(4)


@services_app.command("down")
def services_down() -> None:
    """Stop the MLflow server that `services up` started."""
    from mmp import services
    from mmp.settings import load_config

    out.print(services.services_down(load_config()))


def run(argv: list[str]) -> int:
    """Run the CLI on ``argv``; user errors become one message and an exit code."""
    debug = "--debug" in argv
    try:
        app(args=argv, prog_name="mmp")  # typer prints usage errors itself and exits
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except MmpError as exc:
        if debug:
            raise
        console.print(f"[bold red]error:[/bold red] {exc.message}", highlight=False)
        if exc.hint:
            console.print(f"[yellow]hint:[/yellow] {exc.hint}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        console.print("aborted")
        return 130
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
