"""Running the benchmark: its own database, the modules in order, the table.

:func:`run` creates a fresh database on the given server (or starts the
embedded PostgreSQL), migrates it, runs every benchmark module of the package
one after another (see :mod:`bench.core`), drops the database, prints the
table and writes it as Markdown (``BENCHMARKS.md``) with the date, the machine
and the command, followed by the notes kept in ``bench/NOTES.md``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import os
import pkgutil
import platform
import secrets
import shlex
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec

from .core import SKELETON, Context, Row, Size, merge

NOTES = Path(__file__).with_name("NOTES.md")
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Machine:
    cores: int
    cpu: str
    ram_gib: float
    postgres: str
    python: str

    def describe(self) -> str:
        return (f"{self.cores} cores ({self.cpu}), {self.ram_gib:.1f} GiB RAM, PostgreSQL {self.postgres}, "
                f"Python {self.python}")


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    machine: Machine
    size: Size
    command: str
    started: dt.datetime
    seconds: float
    load: tuple[float, float] = (0.0, 0.0)  # the 1-minute load average at the start and at the end


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def modules() -> list[ModuleType]:
    """Every module of the package that defines ``rows``, by (ORDER, name)."""
    import bench

    found = []
    for info in pkgutil.iter_modules(bench.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if inspect.iscoroutinefunction(getattr(module, "rows", None)):
            found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def _machine_cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


async def machine(url: str) -> Machine:
    conn = await asyncpg.connect(url)
    try:
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return Machine(os.cpu_count() or 1, _machine_cpu(), _ram_gib(), version.split()[0], platform.python_version())


async def _rows(module: ModuleType, ctx: Context, profile_dir: Path | None) -> list[Row]:
    """The module's rows; with ``profile_dir``, profiled by pyinstrument into ``<module>.txt``/``.html``."""
    if profile_dir is None:
        return await module.rows(ctx)
    from pyinstrument import Profiler

    profiler = Profiler(async_mode="enabled")
    profiler.start()
    try:
        return await module.rows(ctx)
    finally:
        profiler.stop()
        _write_profile(profiler, profile_dir, module.__name__.rsplit(".", 1)[-1])


def _write_profile(profiler, directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.txt").write_text(profiler.output_text(unicode=True, show_all=False))
    (directory / f"{name}.html").write_text(profiler.output_html())


async def run(size: Size, admin_url: str, *, only: list[str] | None = None, keep: bool = False,
              quiet: bool = False, command: str = "", profile_dir: Path | None = None) -> Report:
    from erp.app.migrate import migrate
    from erp.app.settings import Settings, timezone_name
    from erp.configuration import registry
    from erp.platform.posting import Engine

    started, began, load = dt.datetime.now(dt.UTC), time.perf_counter(), _load()
    name = f"erp_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = with_database(admin_url, name)
    work = tempfile.TemporaryDirectory(prefix="erp-bench-")
    settings = Settings(database_url=url, secret_key=secrets.token_urlsafe(48), timezone=timezone_name(),
                        data_dir=Path(work.name) / "data", run_worker_in_serve=True)
    reg = registry()
    ctx = Context(size=size, database_url=url, admin_url=admin_url, settings=settings, registry=reg,
                  engine=Engine(reg, settings), work_dir=Path(work.name), quiet=quiet)
    produced: list[Row] = []
    errors: dict[str, str] = {}
    found = modules()
    present = {m.__name__.rsplit(".", 1)[-1] for m in found}
    try:
        ctx.log(f"database {name}: migrating")
        await migrate(url)
        for module in found:
            short = module.__name__.rsplit(".", 1)[-1]
            if only and short not in only:
                present.discard(short)
                continue
            ctx.log(f"{short}: running")
            mark = time.perf_counter()
            try:
                produced += await _rows(module, ctx, profile_dir)
            except Exception as exc:
                errors[short] = f"{type(exc).__name__}: {exc}"[:300]
                traceback.print_exc(file=sys.stderr)
            ctx.log(f"{short}: {time.perf_counter() - mark:.1f} s")
        report_machine = await machine(url)
    finally:
        await ctx.close()
        if not keep:
            admin = await asyncpg.connect(admin_url)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()
        work.cleanup()
    rows = merge(produced, present, errors)
    if only:  # a partial run shows the rows of the modules it ran
        skipped = {e.id for e in SKELETON if e.module not in only}
        rows = [r for r in rows if r.id not in skipped]
    return Report(rows, report_machine, size, command, started, time.perf_counter() - began, (load, _load()))


# -- output -----------------------------------------------------------------------------------


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return "—"
    if row.ratio == int(row.ratio) and abs(row.ratio) < 1000:
        return str(int(row.ratio))
    return f"{row.ratio:.3g}" if abs(row.ratio) < 1000 else f"{row.ratio:,.0f}".replace(",", " ")


HEADERS = ("#", "row", "workload", "measured", "comparison (same run)", "ratio", "target", "verdict")


def cells(row: Row) -> tuple[str, ...]:
    return (row.id, row.title, row.workload, row.measured or "—", row.comparison or "—", _ratio(row),
            row.target.text, row.verdict)


def verdicts(rows: list[Row]) -> str:
    """The summary: "20 PASS, 2 MISS, 4 not built, 0 not measured" (not built is neither PASS nor MISS)."""
    passed = sum(r.verdict == "PASS" for r in rows)
    missed = sum(r.verdict == "MISS" for r in rows)
    unbuilt = sum(not r.built for r in rows)
    return f"{passed} PASS, {missed} MISS, {unbuilt} not built, {len(rows) - passed - missed - unbuilt} not measured"


def print_table(report: Report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADERS, title=f"Benchmarks ({report.size}), {report.machine.describe()}",
                  caption=verdicts(report.rows))
    for row in report.rows:
        style = {"PASS": "green", "MISS": "red"}.get(row.verdict, "yellow" if row.built else "dim")
        table.add_row(*cells(row)[:-1], f"[{style}]{row.verdict}[/]")
    Console(width=220).print(table)


def markdown(report: Report) -> str:
    def line(values) -> str:
        return "| " + " | ".join(str(v).replace("|", "\\|") for v in values) + " |"

    out = [
        "# Benchmarks",
        "",
        f"- Date: {report.started:%Y-%m-%d %H:%M} UTC (the run took {report.seconds:.0f} s)",
        f"- Machine: {report.machine.describe()}",
        f"- Load average (1 min) at the start and at the end of the run: {report.load[0]:.1f}, {report.load[1]:.1f}"
        f" (other work on the machine shares its {report.machine.cores} cores)",
        f"- Size: `{report.size}`",
        f"- Command: `{report.command}`",
        f"- Verdicts: {verdicts(report.rows)}",
        "",
        "Every ratio divides the figure by its comparison measured in the same run, or by its limit when the",
        "target is absolute; the verdict compares the ratio with the target and nothing else.",
        "",
        line(HEADERS),
        line(["---"] * len(HEADERS)),
        *(line(cells(r)) for r in report.rows),
        "",
    ]
    notes = [f"- **{r.id}**: {r.note}" for r in report.rows if r.note and r.ratio is not None]
    if notes:
        out += ["Notes of this run:", "", *notes, ""]
    if NOTES.exists():
        out += [NOTES.read_text().rstrip(), ""]
    return "\n".join(out)


def as_json(report: Report) -> bytes:
    return msgspec.json.encode({
        "size": report.size, "command": report.command, "started": report.started.isoformat(),
        "machine": report.machine.__dict__, "load": list(report.load),
        "rows": [{**msgspec.structs.asdict(r), "target": r.target.text, "verdict": r.verdict} for r in report.rows],
    })


def command_line(argv: list[str]) -> str:
    return "python -m bench " + " ".join(shlex.quote(a) for a in argv)
