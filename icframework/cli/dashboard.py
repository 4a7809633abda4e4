"""`icf dashboard`: serve the city dashboards and the facilitator console (Voilà); `icf dashboard codes` issues
and revokes the read-only codes that open them.

Two Voilà servers, one per notebook, each with the form's page template, preheated kernels and idle culling
(`icframework.cli.app.voila_argv`): the dashboard (`workbooks/dashboard.ipynb`, default port 8867) and the console
(`workbooks/console.ipynb`, default port 8868). Two servers rather than one serving a folder, so that each app has
its own address and pool of kernels, and no other notebook of the workbooks folder is ever reachable.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import click

from ..errors import ICFError, NotFoundError
from . import main
from .app import DEFAULT_PORT as FORM_PORT
from .core import cli_tr, open_store, settings, store_option

DASHBOARD = "dashboard.ipynb"
CONSOLE = "console.ipynb"
DASHBOARD_PORT = 8867
CONSOLE_PORT = 8868


def dashboard_link(base_url: str, city: str, code: str, lang: str | None = None) -> str:
    """A taskforce member's (or a facilitator's) link to a city's dashboard (in `lang`, when one is chosen)."""
    return f"{base_url.rstrip('/')}/?{urlencode({'city': city, 'code': code, **({'lang': lang} if lang else {})})}"


def console_link(base_url: str, code: str, lang: str | None = None) -> str:
    """A facilitator's link to the console (in `lang`, when one is chosen)."""
    return f"{base_url.rstrip('/')}/?{urlencode({'code': code, **({'lang': lang} if lang else {})})}"


def app_environment(run, *, form_url: str, dashboard_url: str) -> dict[str, str]:
    """What the dashboard's and the console's kernels read (icframework.app.dashboard.kernel_settings): the
    programme's settings, the build folder (where briefs are), and the addresses links are made with."""
    return {**run.as_environment(), "ICF_BUILD": str(run.build), "ICF_FORM_URL": form_url,
            "ICF_DASHBOARD_URL": dashboard_url}


def server_argvs(run, *, port: int, console_port: int, host: str, open_browser: bool, pool_size: int,
                 cull_idle: int) -> list[list[str]]:
    """The two Voilà command lines: the dashboard, then the console."""
    from .app import voila_argv

    return [voila_argv(run.workbook(nb), port=p, host=host, open_browser=open_browser, pool_size=pool_size,
                       cull_idle=cull_idle) for nb, p in ((DASHBOARD, port), (CONSOLE, console_port))]


@main.group("dashboard", invoke_without_command=True, epilog="""\b
Give each taskforce a link to its city's dashboard, and facilitators a link to the console:
  icf dashboard codes add --city bristol            # prints the dashboard link
  icf dashboard codes add --role facilitator        # prints the console link
Links carry a code; only its hash is kept. Revoke one with `icf dashboard codes revoke ID`.""")
@store_option
@click.option("--port", default=DASHBOARD_PORT, show_default=True, help="Port of the city dashboards.")
@click.option("--console-port", default=CONSOLE_PORT, show_default=True, help="Port of the facilitator console.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface; put HTTPS in front when you do).")
@click.option("--form-url", default=f"http://127.0.0.1:{FORM_PORT}", show_default=True,
              help="Where people reach the form (`icf app`): the console's new links start with it.")
@click.option("--dashboard-url", default=None,
              help="Where people reach the dashboards (default: this server's address and --port).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="The build folder: briefs are read from and made in OUT/<round>/<city>/ (default: the "
                   "programme's build folder, else ./build).")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.option("--pool-size", default=1, show_default=True, help="Kernels kept preheated per app.")
@click.option("--cull-idle", default=600, show_default=True, metavar="SECONDS",
              help="Shut down a kernel whose page has been closed this long.")
@click.pass_context
def dashboard_cmd(ctx, store_url, port, console_port, host, form_url, dashboard_url, out_dir, no_browser,
                  pool_size, cull_idle):
    """Serve the city dashboards (for taskforces) and the facilitator console (Voilà), read from the store.

    A dashboard shows one city's diagnostics to its taskforce; the console lets facilitators follow a round,
    issue and revoke links, close the round and make the briefs, without a terminal. Each opens only with a
    link carrying a code (`icf dashboard codes add`).
    """
    if ctx.invoked_subcommand is not None:
        return
    run = settings(store_url, build=out_dir)
    run.open_store().close()  # fails here (not in a kernel) when the store is missing or the URL is wrong
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    env = dict(os.environ, **app_environment(
        run, form_url=form_url, dashboard_url=dashboard_url or f"http://{shown}:{port}"))
    if host not in ("0.0.0.0", "::", "127.0.0.1", "localhost"):
        env["VOILA_APP_IP"] = host
    argvs = server_argvs(run, port=port, console_port=console_port, host=host, open_browser=not no_browser,
                         pool_size=pool_size, cull_idle=cull_idle)
    dashboards, console = f"http://{shown}:{port}/", f"http://{shown}:{console_port}/"
    click.echo(cli_tr()._("Serving the city dashboards at {dashboards} and the facilitator console at {console} "
                          "with answers in {store}\nPeople open them with their links (`icf dashboard codes add`). "
                          "Ctrl-C stops both.", dashboards=dashboards, console=console, store=run.store_url),
               err=True)
    sys.exit(_run_both(argvs, env))


def _run_both(argvs: list[list[str]], env: dict[str, str]) -> int:
    """Run the servers until one stops or Ctrl-C/SIGTERM; then stop the other. Returns an exit code."""
    procs = [subprocess.Popen(argv, env=env) for argv in argvs]

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in procs) if any(p.returncode not in (0, None, -15) for p in procs) else 0


@contextmanager
def serving_dashboard(store_url: str, port: int, console_port: int, *, log_path: Path, build: Path | None = None,
                      form_url: str | None = None, pool_size: int = 1, timeout: float = 180):
    """Run `icf dashboard` in a subprocess until the block ends (for tests and benchmarks): yields the base URLs
    of the dashboard and the console once their preheated kernels are ready."""
    from ..app.voila import KERNEL_READY

    argv = [sys.executable, "-c", "from icframework.cli import main; main()", "dashboard", "--store", store_url,
            "--port", str(port), "--console-port", str(console_port), "--no-browser", "--pool-size", str(pool_size)]
    if form_url:
        argv += ["--form-url", form_url]
    if build is not None:
        argv += ["--out", str(build)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout
        while True:
            text = log_path.read_bytes()
            if text.count(b"running at") >= 2 and text.count(KERNEL_READY.encode()) >= 2 * pool_size:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ICFError(f"icf dashboard did not start; its log:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{console_port}"
    finally:
        proc.terminate()
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- codes -------------------------------------------------------------------------------------------------------

@dashboard_cmd.group("codes")
def codes():
    """Issue, list and revoke the codes that open the dashboards and the console."""


@codes.command("add")
@store_option
@click.option("--city", default=None, help="The taskforce's city (a taskforce code opens only its dashboard).")
@click.option("--role", type=click.Choice(["taskforce", "facilitator"]), default="taskforce", show_default=True,
              help="facilitator: opens the console and every city's dashboard.")
@click.option("--label", default="", help="Whose code this is, to find it again (e.g. 'Bristol taskforce').")
@click.option("--base-url", default=None, help="Where people reach the app (default: the dashboard on port "
              f"{DASHBOARD_PORT}, or the console on port {CONSOLE_PORT} for a facilitator).")
@click.option("--lang", default=None, metavar="CODE",
              help="The language the link opens the page in, e.g. cy (words without a translation stay English). "
                   "Default: English.")
def codes_add(store_url, city, role, label, base_url, lang):
    """Issue a code and print its link (shown once; only a hash is kept)."""
    from ..i18n import check_language
    from ..model.cities import city_slugs
    from ..store.access import issue_code

    tr = cli_tr()
    lang = check_language(lang) if lang else None
    run = settings(store_url)
    if city:
        known = city_slugs(run.cities)
        if city not in known:
            raise NotFoundError(tr._("unknown city {city} in {folder}; known cities: {known}", city=repr(city),
                                     folder=run.cities, known=", ".join(known) or tr._("none")))
    store = run.open_store()
    record, code = issue_code(store, role, city=city, label=label)
    if role == "taskforce":
        url = dashboard_link(base_url or f"http://127.0.0.1:{DASHBOARD_PORT}", city, code, lang)
    else:
        url = console_link(base_url or f"http://127.0.0.1:{CONSOLE_PORT}", code, lang)
    click.echo(f"{record.id}\t{record.role}\t{record.label}\t{url}")
    click.echo(tr._("Send the link to whom it is for; it cannot be shown again (issue a new one if it is lost). "
                    "`icf dashboard codes revoke ID` withdraws it."), err=True)


@codes.command("list")
@store_option
@click.option("--city", default=None, help="Only this city's codes.")
def codes_list(store_url, city):
    """The codes issued (id, role, city, label, status); never the codes themselves."""
    from ..store.access import list_codes

    tr = cli_tr()
    found = list_codes(open_store(store_url), city=city)
    if not found:
        click.echo(tr._("No codes yet. Issue one with `icf dashboard codes add --city CITY`."))
        return
    heads = [tr._("id"), tr._("role"), tr._("city"), tr._("status"), tr._("label")]
    click.echo("{:>5}  {:12} {:22} {:8} {}".format(*heads))
    every = tr._("(every city)")
    for c in found:
        click.echo(f"{c.id:>5}  {c.role:12} {c.city or every:22} {c.status:8} {c.label}")


@codes.command("revoke")
@store_option
@click.argument("ids", nargs=-1, type=int, required=True)
def codes_revoke(store_url, ids):
    """Withdraw codes IDS: their links open nothing any more."""
    from ..store.access import revoke_code

    tr = cli_tr()
    store = open_store(store_url)
    for cid in ids:
        c = revoke_code(store, cid)
        click.echo(tr._("Revoked {id} ({role}, {city}, {label})", id=c.id, role=c.role,
                        city=c.city or tr._("every city"), label=c.label))
