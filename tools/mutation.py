"""Mutation testing of mmp's guarantee modules, with the behave scenarios as the tests.

``make mutation`` (or ``python tools/mutation.py``) mutates each guarantee module with
cosmic-ray, one mutant at a time, and runs the scenarios of its guarantee against every
mutant: the SQL guard and the template sandbox against ``@security``, schema validation
against ``@schema``, the point-in-time join against ``@pit``. A mutant is killed when a
scenario fails (behave stops at the first failure) or the run exceeds the timeout.

Nothing in the developer's checkout is rewritten: the tree (tracked and untracked files,
as ``git ls-files`` lists them) is copied into a scratch folder, cosmic-ray mutates the
copy, and the scenarios import the copy (``PYTHONPATH`` puts its ``src/`` ahead of the
editable install). The scratch folder is removed at the end unless ``--work-dir`` names
one to keep (a kept folder resumes unfinished sessions on the next run).

Two kinds of mutant are not tested, and the report counts them: mutations inside type
annotations (never evaluated: every module has ``from __future__ import annotations``),
and, for binary and comparison operators, replacements other than the conventional
opposite or boundary (``+``/``-``, ``*``/``/``, ``|``/``&``, ``==``/``!=``, ``<``/``<=``,
``in``/``not in`` ...), which cosmic-ray would multiply elevenfold per operator.

The report (``docs/mutation.md``) gives mutants, killed, survived, timeouts and the kill
rate per module and in total, the tool, the date and the exact commands, and every
surviving mutant with its judgement from ``tools/mutation_equivalents.yaml``. The script
exits 1 when the total kill rate is under the gate (80%) or a survivor has no judgement.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as dt
import importlib.metadata
import io
import itertools
import json
import os
import platform
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GATE = 0.80
DEFAULT_TIMEOUT = 90.0

#: Binary operator replacements tested: each operator's conventional opposite.
BINARY_PAIRS = {
    ("Add", "Sub"), ("Sub", "Add"), ("Mul", "Div"), ("Div", "Mul"), ("FloorDiv", "Div"),
    ("Mod", "FloorDiv"), ("Pow", "Mul"), ("LShift", "RShift"), ("RShift", "LShift"),
    ("BitOr", "BitAnd"), ("BitAnd", "BitOr"), ("BitXor", "BitAnd"),
}
#: Comparison replacements tested: negation and the off-by-one boundary.
COMPARISON_PAIRS = {
    ("Eq", "NotEq"), ("NotEq", "Eq"), ("Lt", "LtE"), ("LtE", "Lt"), ("Gt", "GtE"),
    ("GtE", "Gt"), ("Is", "IsNot"), ("IsNot", "Is"), ("In", "NotIn"), ("NotIn", "In"),
}


@dataclass(frozen=True)
class Target:
    """A guarantee module and the scenarios that state its guarantee."""

    name: str
    module: str
    tag: str
    feature: str


TARGETS = (
    Target("guard", "src/mmp/sql/guard.py", "@security", "features/sql_security.feature"),
    Target("template", "src/mmp/sql/template.py", "@security",
           "features/sql_security.feature"),
    Target("validate", "src/mmp/schema/validate.py", "@schema",
           "features/schema_consistency.feature"),
    Target("join", "src/mmp/featurestore/join.py", "@pit", "features/point_in_time.feature"),
)


@dataclass
class Mutant:
    """One mutant's outcome, with the source line and what cosmic-ray made of it."""

    operator: str
    line_number: int
    line: str
    mutant: str
    outcome: str  # killed, timeout, survived, incompetent
    judgement: dict[str, str] = field(default_factory=dict)


@dataclass
class ModuleResult:
    target: Target
    generated: int
    excluded: dict[str, int]
    mutants: list[Mutant]
    seconds: float
    commands: list[str]
    retested: int = 0

    def count(self, outcome: str) -> int:
        return sum(m.outcome == outcome for m in self.mutants)

    @property
    def tested(self) -> int:
        return self.count("killed") + self.count("timeout") + self.count("survived")


# -- the scratch tree ------------------------------------------------------------------


def copy_tree(destination: Path) -> None:
    """Copy the checkout's tracked and untracked (not ignored) files into ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def test_command(target: Target) -> str:
    """The behave run that judges a mutant: the guarantee's scenarios, stop at a failure."""
    return shlex.join([
        sys.executable, "-m", "behave", "-D", "env=local", f"--tags={target.tag}",
        "--include", target.feature, "--stop", "--no-junit", "-f", "null", "--no-summary",
        "--no-snippets",
    ])


def scratch_environ(tree: Path) -> dict[str, str]:
    environ = dict(os.environ, PYTHONPATH=str(tree / "src"), PYTHONDONTWRITEBYTECODE="1")
    environ.pop("APP_ENV", None)
    return environ


# -- which mutants are tested ------------------------------------------------------------


def annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(line, column) spans of every annotation, columns in characters as cosmic-ray counts."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()

    def column(line: int, offset: int) -> int:
        return len(lines[line - 1].encode()[:offset].decode())

    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations: list[ast.expr | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            annotations.append(node.returns)
        elif isinstance(node, ast.arg | ast.AnnAssign):
            annotations.append(node.annotation)
        for ann in filter(None, annotations):
            spans.append(((ann.lineno, column(ann.lineno, ann.col_offset)),
                          (ann.end_lineno or ann.lineno,
                           column(ann.end_lineno or ann.lineno, ann.end_col_offset or 0))))
    return spans


def keyword_markers(path: Path) -> set[tuple[int, int]]:
    """(line, column) of every bare ``*`` that makes the parameters after it keyword-only.
    cosmic-ray takes it for a multiplication and writes ``/`` (positional-only before it),
    which no call by keyword can tell apart: not an operator, so not a mutant of one. A
    ``*`` token directly followed by ``,`` or ``)`` is such a marker: in an expression it
    would need an operand."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8"))
                                           .readline))
    return {token.start for token, after in itertools.pairwise(tokens)
            if token.type == tokenize.OP and token.string == "*"
            and after.type == tokenize.OP and after.string in (",", ")")}


KEYWORD_MARKER = "keyword-only marker * in a signature (not an operator)"


def exclusion(operator: str, start: tuple[int, int],
              spans: list[tuple[tuple[int, int], tuple[int, int]]],
              markers: set[tuple[int, int]] = frozenset()) -> str | None:
    """Why a mutant is not tested, or None when it is."""
    if any(begin <= start < end for begin, end in spans):
        return "inside a type annotation (never evaluated)"
    if start in markers:
        return KEYWORD_MARKER
    family, *pair = operator.removeprefix("core/").split("_")
    if family == "ReplaceBinaryOperator" and tuple(pair) not in BINARY_PAIRS:
        return "binary operator replaced by other than its opposite"
    if family == "ReplaceComparisonOperator" and tuple(pair) not in COMPARISON_PAIRS:
        return "comparison replaced by other than its negation or boundary"
    return None


def filter_session(session: Path, module: Path) -> dict[str, int]:
    """Mark the untested mutants of a fresh session as skipped; count them by reason."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans, markers = annotation_spans(module), keyword_markers(module)
    excluded: dict[str, int] = {}
    with use_db(str(session), WorkDB.Mode.open) as work_db:
        for item in list(work_db.pending_work_items):
            mutation = item.mutations[0]
            reason = exclusion(mutation.operator_name, tuple(mutation.start_pos), spans,
                               markers)
            if reason:
                excluded[reason] = excluded.get(reason, 0) + 1
                work_db.set_result(item.job_id, WorkResult(
                    output=f"not tested: {reason}", worker_outcome=WorkerOutcome.SKIPPED))
    return excluded


# -- running -------------------------------------------------------------------------------


def run(command: list[str], tree: Path, log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ {shlex.join(command)}\n")
        out.flush()
        subprocess.run(command, cwd=tree, env=scratch_environ(tree), stdout=out,
                       stderr=subprocess.STDOUT, check=True)


def cosmic_ray(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def mutate(target: Target, tree: Path, work: Path, timeout: float,
           retest_survivors: bool) -> dict[str, Any]:
    """Run (or resume) the cosmic-ray session of one module; return its run record."""
    config, session = work / f"{target.name}.toml", work / f"{target.name}.sqlite"
    record_file, log = work / f"{target.name}.json", work / f"{target.name}.log"
    command = test_command(target)
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = {json.dumps(target.module)}\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n')
    record: dict[str, Any] = (json.loads(record_file.read_text()) if record_file.exists()
                              else {"seconds": 0.0})
    init = [cosmic_ray("cosmic-ray"), "init", str(config), str(session)]
    execute = [cosmic_ray("cosmic-ray"), "exec", str(config), str(session)]
    if not session.exists():
        run(init, tree, log)
        record["excluded"] = filter_session(session, tree / target.module)
    elif retest_survivors:
        record["retested"] = record.get("retested", 0) + forget_survivors(session)
    baseline(target, tree, command)
    started = time.monotonic()
    print(f"mutation: {target.module} against {target.tag} ...", flush=True)
    run(execute, tree, log)
    record["seconds"] += time.monotonic() - started
    shown = {str(work): "$SESSIONS", str(ROOT): "$CHECKOUT"}
    record["commands"] = [
        f"# in the scratch copy, with PYTHONPATH=$COPY/src; {target.name}.toml sets "
        f"module-path = {json.dumps(target.module)}, timeout = {timeout}, the local "
        "distributor and the test command:",
        f"# {command}",
        shlex.join(init), "# mark the untested mutants skipped (tools/mutation.py)",
        shlex.join(execute)]
    for long, short in shown.items():
        record["commands"] = [c.replace(long, short) for c in record["commands"]]
    record_file.write_text(json.dumps(record, indent=2))
    return record


def baseline(target: Target, tree: Path, command: str) -> None:
    """The unmutated scenarios must pass, or every mutant would look killed."""
    done = subprocess.run(shlex.split(command), cwd=tree, env=scratch_environ(tree),
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"mutation: the {target.tag} scenarios fail without any mutant; fix them "
                 f"first:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def forget_survivors(session: Path) -> int:
    """Drop the survivors' results so the next exec tests them against today's scenarios."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome

    with use_db(str(session), WorkDB.Mode.open) as work_db:
        survivors = [(item.job_id,) for item, result in work_db.completed_work_items
                     if result.test_outcome == TestOutcome.SURVIVED]
    with contextlib.closing(sqlite3.connect(session)) as db, db:
        db.executemany("DELETE FROM work_results WHERE job_id = ?", survivors)
    return len(survivors)


# -- reading the results ----------------------------------------------------------------


def changed_lines(diff: str) -> tuple[str, str]:
    """The first removed and the first added line of a unified diff, stripped."""
    removed = added = ""
    for text in diff.splitlines():
        if text.startswith(("---", "+++")):
            continue
        if text.startswith("-") and not removed:
            removed = text[1:].strip()
        elif text.startswith("+") and not added:
            added = text[1:].strip()
    return removed, added


def read_session(target: Target, tree: Path, session: Path) -> tuple[list[Mutant], int]:
    """The tested mutants, and how many of them mutated a keyword-only marker (sessions
    made before such mutants were skipped: they count as not tested, as they are now)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    source = (tree / target.module).read_text(encoding="utf-8").splitlines()
    markers = keyword_markers(tree / target.module)
    mutants, marked = [], 0
    with use_db(str(session), WorkDB.Mode.open) as work_db:
        for item, result in work_db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            mutation = item.mutations[0]
            if tuple(mutation.start_pos) in markers:
                marked += 1
                continue
            line_number = mutation.start_pos[0]
            removed, added = changed_lines(result.diff or "")
            if result.test_outcome == TestOutcome.SURVIVED:
                outcome = "survived"
            elif result.test_outcome == TestOutcome.KILLED:
                outcome = "timeout" if result.output == "timeout" else "killed"
            else:
                outcome = "incompetent"
            mutants.append(Mutant(mutation.operator_name, line_number,
                                  removed or source[line_number - 1].strip(), added, outcome))
    return sorted(mutants, key=lambda m: (m.line_number, m.operator, m.mutant)), marked


def judge(mutants: list[Mutant], judgements: list[dict[str, str]]) -> list[dict[str, str]]:
    """Attach each survivor's judgement; return the judgements that matched no survivor."""
    unused = list(judgements)
    for mutant in mutants:
        if mutant.outcome != "survived":
            continue
        for entry in judgements:
            if (entry.get("operator") == mutant.operator and entry.get("line") == mutant.line
                    and entry.get("mutant") == mutant.mutant):
                mutant.judgement = entry
                if entry in unused:
                    unused.remove(entry)
                break
    return unused


# -- the report ------------------------------------------------------------------------------


def rate(killed: int, tested: int) -> str:
    return f"{killed / tested:.1%}" if tested else "n/a"


def code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`" if text else "(removed)"


def verdict(mutant: Mutant) -> str:
    if "equivalent" in mutant.judgement:
        return f"equivalent ({mutant.judgement['equivalent']})"
    if "gap" in mutant.judgement:
        return f"not killed: gap ({mutant.judgement['gap']})"
    return "**not judged**"


def report(results: list[ModuleResult], stale: list[tuple[str, dict[str, str]]]) -> str:
    killed = sum(r.count("killed") + r.count("timeout") for r in results)
    tested = sum(r.tested for r in results)
    version = importlib.metadata.version("cosmic-ray")
    behave = importlib.metadata.version("behave")
    lines = [
        "# Test strength: mutation testing of the guarantee modules",
        "",
        "Written by `make mutation` (`tools/mutation.py`); edit the judgements in "
        "`tools/mutation_equivalents.yaml`, not this file.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}; "
        f"cosmic-ray {version}, behave {behave}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, one mutant at a time.",
        "- A mutant is killed when a scenario of the module's guarantee fails against it "
        "(behave stops at the first failure) or the run exceeds the timeout. Scenarios that "
        "need the dev services are skipped, as in a local `make test`.",
        "- Mutated in a scratch copy of the tree, never the checkout; the scenarios import "
        "the copy.",
        f"- Total kill rate: **{rate(killed, tested)}** ({killed} of {tested}; gate "
        f"{GATE:.0%}).",
        "",
        "| module | scenarios | mutants | killed | survived | timeout | kill rate | minutes |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| `{r.target.module}` | `{r.target.tag}` | {r.tested} | {r.count('killed')} | "
            f"{r.count('survived')} | {r.count('timeout')} | "
            f"{rate(r.count('killed') + r.count('timeout'), r.tested)} | "
            f"{r.seconds / 60:.1f} |")
    survived = sum(r.count("survived") for r in results)
    timeouts = sum(r.count("timeout") for r in results)
    lines.append(f"| **total** | | {tested} | {killed - timeouts} | {survived} | {timeouts} "
                 f"| **{rate(killed, tested)}** | {sum(r.seconds for r in results) / 60:.1f} |")
    equivalent = sum("equivalent" in m.judgement for r in results for m in r.mutants
                     if m.outcome == "survived")
    retested = sum(r.retested for r in results)
    resumed = ", ".join(f"`{r.target.module}`" for r in results if r.retested)
    lines += [
        "",
        f"Survivors judged equivalent: {equivalent}; counted as survivors above. Without "
        f"them the kill rate is {rate(killed, tested - equivalent)}.",
        "",
        *([f"The sessions of {resumed} were resumed with `--retest-survivors`: after "
           f"scenarios and checks were added, the {retested} survivors of their earlier run "
           "were tested again (a killed mutant stays killed when scenarios and checks are only "
           "added); minutes include both runs.", ""]
          if retested else []),
        "## What was not mutated",
        "",
        "cosmic-ray generated every mutant below; these were marked skipped before the run "
        "(restricted so a full run takes about an hour on two shared cores):",
        "",
        "| module | generated | inside type annotations | keyword-only markers "
        "| other binary replacements | other comparison replacements | tested |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ex = r.excluded
        lines.append(
            f"| `{r.target.module}` | {r.generated} | "
            f"{ex.get('inside a type annotation (never evaluated)', 0)} | "
            f"{ex.get(KEYWORD_MARKER, 0)} | "
            f"{ex.get('binary operator replaced by other than its opposite', 0)} | "
            f"{ex.get('comparison replaced by other than its negation or boundary', 0)} | "
            f"{r.tested + r.count('incompetent')} |")
    lines += [
        "",
        "- Annotations are never evaluated (`from __future__ import annotations`), so their "
        "mutants are equivalent by construction.",
        "- A bare `*` in a signature (the parameters after it are keyword-only) is no "
        "operator; cosmic-ray's `*`→`/` there makes the parameters before it positional-only, "
        "which changes which calls are accepted (one naming an earlier parameter would fail "
        "at once), never what an accepted call computes: not run, as annotations.",
        "- A binary operator is replaced only by its opposite (`+`/`-`, `*`/`/`, `//`→`/`, "
        "`%`→`//`, `**`→`*`, `<<`/`>>`, `|`/`&`, `^`→`&`), a comparison only by its negation "
        "or its boundary (`==`/`!=`, `<`/`<=`, `>`/`>=`, `is`/`is not`, `in`/`not in`); "
        "the other ten replacements cosmic-ray offers per operator are not run.",
        "- Every other cosmic-ray operator runs in full (numbers, `not`, `and`/`or`, "
        "`True`/`False`, unary operators, loops, `break`/`continue`, exceptions, "
        "decorators). cosmic-ray never mutates strings or docstrings.",
        "",
        "## Commands",
        "",
        "```bash",
        "make mutation            # = nice -n 10 .venv/bin/python tools/mutation.py",
        "```",
        "",
        "Per module, in the scratch copy (`PYTHONPATH=<copy>/src`):",
        "",
    ]
    for r in results:
        lines += ["```bash", *r.commands, "```", ""]
    lines += ["## Surviving mutants", ""]
    for r in results:
        survivors = [m for m in r.mutants if m.outcome == "survived"]
        lines += [f"### `{r.target.module}` ({len(survivors)})", ""]
        if survivors:
            lines += ["| line | source | mutant | judgement |", "|---:|---|---|---|"]
            lines += [f"| {m.line_number} | {code(m.line)} | {code(m.mutant)} | {verdict(m)} |"
                      for m in survivors]
            lines.append("")
        incompetent = [m for m in r.mutants if m.outcome == "incompetent"]
        if incompetent:
            lines += ["Mutants the tool could not run (not counted): "
                      + ", ".join(f"line {m.line_number} {m.operator}" for m in incompetent),
                      ""]
    if stale:
        lines += ["## Judgements that matched no survivor", ""]
        lines += [f"- `{module}`: {code(entry.get('line', ''))} → {code(entry.get('mutant', ''))}"
                  for module, entry in stale]
        lines.append("")
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------


def generated_count(session: Path) -> int:
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(session), WorkDB.Mode.open) as work_db:
        return work_db.num_work_items


@dataclass
class Options:
    modules: list[str]
    timeout: float
    work_dir: Path | None
    report: Path
    equivalents: Path
    retest_survivors: bool
    report_only: bool


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", choices=[t.name for t in TARGETS],
                        help="only this module (repeatable; default: all)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds one mutant's scenarios may take (default %(default)s)")
    parser.add_argument("--work-dir", type=Path,
                        help="keep the scratch copy and sessions here and resume from them")
    parser.add_argument("--report", type=Path, default=ROOT / "docs" / "mutation.md")
    parser.add_argument("--equivalents", type=Path,
                        default=ROOT / "tools" / "mutation_equivalents.yaml")
    parser.add_argument("--retest-survivors", action="store_true",
                        help="with --work-dir: test the survivors again (after new scenarios)")
    parser.add_argument("--report-only", action="store_true",
                        help="with --work-dir: rewrite the report from the kept sessions")
    args = parser.parse_args(argv)
    if (args.retest_survivors or args.report_only) and not args.work_dir:
        parser.error("--retest-survivors and --report-only need --work-dir")
    return Options(args.module or [t.name for t in TARGETS], args.timeout, args.work_dir,
                   args.report, args.equivalents, args.retest_survivors, args.report_only)


@dataclass
class Workspace:
    tree: Path
    work: Path


@contextlib.contextmanager
def workspace(options: Options) -> Iterator[Workspace]:
    """The scratch copy (fresh each run) and the folder that keeps the sessions."""
    keep = options.work_dir
    base = keep.resolve() if keep else Path(tempfile.mkdtemp(prefix="mmp-mutation-"))
    try:
        tree, work = base / "tree", base / "sessions"
        if not options.report_only:
            shutil.rmtree(tree, ignore_errors=True)
            copy_tree(tree)
        work.mkdir(parents=True, exist_ok=True)
        yield Workspace(tree, work)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    targets = [t for t in TARGETS if t.name in options.modules]
    judgements = yaml.safe_load(options.equivalents.read_text()) or {}
    results: list[ModuleResult] = []
    stale: list[tuple[str, dict[str, str]]] = []
    with workspace(options) as space:
        for target in targets:
            session = space.work / f"{target.name}.sqlite"
            if options.report_only:
                record = json.loads((space.work / f"{target.name}.json").read_text())
            else:
                record = mutate(target, space.tree, space.work, options.timeout,
                                options.retest_survivors)
            mutants, marked = read_session(target, space.tree, session)
            stale += [(target.module, e)
                      for e in judge(mutants, judgements.get(target.module, []))]
            excluded = dict(record.get("excluded", {}))
            if marked:
                excluded[KEYWORD_MARKER] = excluded.get(KEYWORD_MARKER, 0) + marked
            results.append(ModuleResult(target, generated_count(session), excluded, mutants,
                                        record["seconds"], record["commands"],
                                        record.get("retested", 0)))
    options.report.write_text(report(results, stale) + "\n")
    killed = sum(r.count("killed") + r.count("timeout") for r in results)
    tested = sum(r.tested for r in results)
    unjudged = [m for r in results for m in r.mutants
                if m.outcome == "survived" and not m.judgement]
    print(f"mutation: {killed} of {tested} mutants killed ({rate(killed, tested)}); "
          f"{len(unjudged)} survivor(s) without a judgement; report: {options.report}")
    if not tested or killed / tested < GATE:
        print(f"mutation: the kill rate is under the {GATE:.0%} gate", file=sys.stderr)
        return 1
    if unjudged:
        print("mutation: judge every survivor in " + str(options.equivalents)
              + " (equivalent: why, or gap: what no scenario notices)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
