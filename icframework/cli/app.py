"""`icf app` serves the self-assessment form with Voilà; `icf respondents` issues and manages the links."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import click

from ..errors import ICFError, NotFoundError
from . import main
from .core import open_store, settings, store_option

WORKBOOK = "self_assessment.ipynb"
DEFAULT_PORT = 8866


FORM_CHECK = "icframework.app.server:form_check"  # the link check that runs before any kernel (app/server.py)


def __getattr__(name):  # built on first use, so the CLI does not import Jupyter Server
    if name == "GraceKernelManager":
        from ..app.server import GraceKernelManager

        return GraceKernelManager
    raise AttributeError(name)


def voila_argv(notebook: Path, *, port: int, host: str, open_browser: bool, pool_size: int,
               cull_idle: int, check: str = "", max_kernels: int = 40, failed_links: int = 10,
               orphan_timeout: float = 20.0) -> list[str]:
    """The Voilà command line, run by `icframework.app.server.serve`: the form's own page template (no third-party
    requests, a main landmark), sources stripped, a pool of preheated kernels; `check` ("module:factory", see
    `icframework.app.server.resolve_check`; "" for none) answers a request before any kernel is taken, at most
    `max_kernels` pages are open at once, an address gets `failed_links` refused links a minute; a kernel goes
    `orphan_timeout` seconds after its page's connection closed, and idle kernels are culled as a backstop."""
    argv = [sys.executable, "-c", f"from icframework.app.server import serve; serve(check={check!r})",
            str(notebook), f"--port={port}", f"--Voila.ip={host}",
            "--strip_sources=True", "--show_tracebacks=False",
            "--theme=light", "--template=icf",
            # Only the widget manager is needed in the page; other JupyterLab extensions only slow it down.
            "--VoilaConfiguration.extension_denylist=jupyterlab-jupytext",
            "--VoilaConfiguration.extension_denylist=jupyterlab_pygments",
            "--VoilaConfiguration.multi_kernel_manager_class=icframework.app.server.GraceKernelManager",
            f"--GuardedVoila.max_kernels={max_kernels}", f"--GuardedVoila.failed_links_per_minute={failed_links}",
            f"--GraceKernelManager.orphan_timeout={orphan_timeout}",
            # Preheated kernels run the notebook up to `query_string()` before anyone connects.
            "--preheat_kernel=True", f"--pool_size={pool_size}",
            # How long the page's rendering waits for a cell's outputs once the cell has run. Voilà's default (4 s)
            # drops the outputs when the machine is busy (many people arriving together): a page without its form.
            "--VoilaExecutor.iopub_timeout=120",
            # Kernels whose page is gone (tab closed without notice, connection lost) are shut down.
            f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
            f"--MappingKernelManager.cull_interval={max(10, min(300, cull_idle // 4))}",
            "--MappingKernelManager.cull_connected=False",
            "--MappingKernelManager.cull_busy=False"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


@contextmanager
def serving(store_url: str, port: int, *, pool_size: int | str = 2, log_path: Path, timeout: float = 120,
            options: tuple[str, ...] = (), pid: list | None = None):
    """Run `icf app` in a subprocess until the block ends (for tests and benchmarks): yields its base URL once
    its preheated kernels are ready for the first people. `options` are more `icf app` options; the server's
    process id is appended to `pid` when given (its kernels are its child processes)."""

    argv = [sys.executable, "-c", "from icframework.cli import main; main()", "app", "--store", store_url,
            "--port", str(port), "--no-browser", "--pool-size", str(pool_size), *options]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    if pid is not None:
        pid.append(proc.pid)
    try:
        deadline = time.monotonic() + timeout
        while not _started(log_path.read_bytes(), pool_size):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ICFError(f"icf app did not start; its log:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _started(log: bytes, pool_size: int | str) -> bool:
    from ..app.voila import KERNEL_READY

    if pool_size == "auto":  # the size `icf app` chose, from its "Preheating N forms" line
        chosen = re.search(rb"Preheating (no|\d+) forms?", log)
        if not chosen:
            return False
        pool_size = 0 if chosen.group(1) == b"no" else int(chosen.group(1))
    return b"running at" in log and log.count(KERNEL_READY.encode()) >= pool_size


def link(base_url: str, city: str, code: str, lang: str | None = None) -> str:
    """A respondent's personal link (with the language their form opens in, when one is chosen)."""
    return f"{base_url.rstrip('/')}/?{urlencode({'city': city, 'code': code, **({'lang': lang} if lang else {})})}"


def check_form_language(store, round_id: str, lang: str | None) -> str | None:
    """`lang` when the round's framework has its questions in it (the form can be shown in it), else an error
    that names the languages it has."""
    if not lang:
        return None
    from ..i18n import check_language, language_name

    fw = store.framework_for(round_id)
    if check_language(lang) not in fw.languages:
        have = ", ".join(f"{code} ({language_name(code)})" for code in fw.languages)
        raise ICFError(f"round {round_id!r} uses {fw.title}, which has no {language_name(lang)} texts ({lang}); it "
                       f"has {have}. Add the translations to the framework file (check them with "
                       f"`icf frameworks validate --lang {lang} FILE`), or choose one of these.")
    return lang


class PoolSize(click.ParamType):
    """`--pool-size`: "auto" or a whole number of forms, 0 or more."""

    name = "auto|N"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value == "auto":
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if text.isascii() and text.isdigit():
            return int(text)
        self.fail(f"{value!r} is neither auto nor a number of forms (0 or more), e.g. --pool-size auto or "
                  "--pool-size 20", param, ctx)


def auto_pool(store, max_forms: int) -> int:
    """The pool for `--pool-size auto`, from the people with live links in open rounds and the memory available
    now (icframework.app.server.auto_pool_size); says how many and why on stderr."""
    import psutil

    from ..app.server import AUTO_POOL_CAP, auto_pool_line

    cap = min(AUTO_POOL_CAP, max_forms) if max_forms > 0 else AUTO_POOL_CAP  # more could never be open at once
    size, line = auto_pool_line(store.people_with_live_links(), psutil.virtual_memory().available, cap=cap)
    click.echo(line, err=True)
    return size


@main.command("app", epilog="""\b
Issue one link per person before you share the app, for example:
  icf respondents add --round virtual-2020 --city bristol --sector employer \\
      --role "HR lead" --base-url https://forms.example.org
Each link carries the city and a personal access code; the form shows only that
city's answers for that person. Revoke a link with `icf respondents revoke ID`.""")
@store_option
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port to serve the form on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface; put HTTPS in front when you do).")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
@click.option("--pool-size", type=PoolSize(), default="auto", show_default=True, metavar="[auto|N]",
              help="Forms kept preheated (a Python kernel each, about 80 MiB), so the form opens at once for that "
              "many people arriving together. auto: one for each person with a live link (not revoked) to an open "
              "round, counted when the server starts, at least 2 and at most 20 (or --max-forms when lower), and no "
              "more than half of the free memory holds. A number: exactly that many (e.g. 30 for a room of 30; 0 "
              "for none).")
@click.option("--cull-idle", default=600, show_default=True, metavar="SECONDS",
              help="Shut down a kernel whose page has been closed this long (its answers are already saved); "
              "kernels of open pages are kept.")
@click.option("--max-forms", default=40, show_default=True,
              help="Forms open at once (one Python kernel each, about 80 MiB); beyond it people are asked to try "
              "again in a minute. 0 for no limit.")
@click.option("--failed-links", default=10, show_default=True, metavar="N",
              help="Links that do not open a form accepted from one address in a minute; then it must wait (0: no "
              "limit). Raise it when many people share one address (an office behind one router).")
@click.option("--closed-after", default=20.0, show_default=True, metavar="SECONDS",
              help="Shut down a form's kernel this long after its page's connection closed (when the page did not "
              "ask for it itself); 0 leaves it to --cull-idle.")
def app_cmd(store_url, port, host, no_browser, pool_size, cull_idle, max_forms, failed_links, closed_after):
    """Serve the self-assessment form (Voilà) that taskforce members fill in from their personal links.

    Every change is saved to the answer store at once; people can close the page and come back to the same
    link at any time.
    """
    run = settings(store_url)
    url = run.store_url
    store = run.open_store()  # fails here (not in a kernel) when the store is missing or the URL is wrong
    if not store.list_rounds():
        click.secho("Note: the store has no rounds yet. Create one (or run `icf demo-data`) and issue links "
                    "with `icf respondents add`.", fg="yellow", err=True)
    if pool_size == "auto":
        pool_size = auto_pool(store, max_forms)
    store.close()
    notebook = run.workbook(WORKBOOK)
    env = dict(os.environ, **run.as_environment())  # the kernels' settings (icframework.app.voila.preload)
    if host not in ("0.0.0.0", "::", "127.0.0.1", "localhost"):
        env["VOILA_APP_IP"] = host  # where preheated kernels reach the server for the request's query string
    argv = voila_argv(notebook, port=port, host=host, open_browser=not no_browser, pool_size=pool_size,
                      cull_idle=cull_idle, check=FORM_CHECK, max_kernels=max_forms, failed_links=failed_links,
                      orphan_timeout=closed_after)
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    click.echo(f"Serving the self-assessment form at http://{shown}:{port}/ with answers in {url}\n"
               "People open it with their personal link (`icf respondents add` prints them). Ctrl-C stops it.",
               err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)


@main.group()
def respondents():
    """Issue, list, revoke and reopen the personal links people use to fill in the form; erase a person."""


@respondents.command("add")
@store_option
@click.option("--round", "round_id", required=True, help="The round (assessment cycle) to answer.")
@click.option("--city", required=True, help="City slug, e.g. bristol (see `icf cities list`).")
@click.option("--sector", required=True, help="The person's sector, e.g. employer or local-authority.")
@click.option("--role", default="", help="Their role, shown on their form (e.g. 'HR lead').")
@click.option("--label", default=None, help="A name for this respondent, unique in the city and round "
              "(default: sector-N).")
@click.option("--count", default=1, show_default=True, help="Issue this many links with the same details.")
@click.option("--base-url", default=f"http://127.0.0.1:{DEFAULT_PORT}", show_default=True,
              help="Address where people reach `icf app`; it starts every link.")
@click.option("--no-quotes", is_flag=True, help="They asked not to be quoted: their evidence never appears in a brief.")
@click.option("--lang", default=None, metavar="CODE",
              help="The language their form opens in, e.g. cy (the round's framework must have it; the form "
                   "offers a switch to its other languages). Default: the framework's own.")
def respondents_add(store_url, round_id, city, sector, role, label, count, base_url, no_quotes, lang):
    """Issue personal links for a city's round and print them (codes are shown once; only a hash is kept)."""
    from ..model.cities import city_slugs
    from ..model.types import check_sector

    check_sector(sector)
    run = settings(store_url)
    known = city_slugs(run.cities)
    if city not in known:
        raise NotFoundError(f"unknown city {city!r} in {run.cities}; known cities: {', '.join(known) or 'none yet'}"
                            " (add one with `icf cities add`)")
    if count < 1 or (label and count > 1):
        raise ICFError("--count must be 1 or more, and --label only works with --count 1")
    store = run.open_store()
    rnd = store.get_round(round_id)
    lang = check_form_language(store, round_id, lang)
    for _ in range(count):
        resp, code = store.add_respondent(round_id, city, sector, role=role, label=label, synthetic=rnd.synthetic,
                                          no_quotes=no_quotes, lang=lang)
        click.echo(f"{resp.id}\t{resp.label}\t{link(base_url, city, code, lang)}")
    click.echo("Send each person their own link; it opens only their answers for this city. "
               "Codes cannot be shown again: issue a new link if one is lost.", err=True)


@respondents.command("set")
@store_option
@click.argument("respondent_id", metavar="ID", type=int)
@click.option("--quotes/--no-quotes", "quotes", default=None,
              help="Whether their evidence may be quoted in briefs (by sector only).")
@click.option("--lang", default=None, metavar="CODE",
              help="The language their form opens in (e.g. cy); '' for the framework's own.")
def respondents_set(store_url, respondent_id, quotes, lang):
    """Record a person's choices, e.g. that they asked not to be quoted in briefs, or their form's language
    (audited)."""
    if quotes is None and lang is None:
        raise click.UsageError("say what to set, e.g. --no-quotes or --lang cy")
    store = open_store(store_url)
    if lang:
        check_form_language(store, store.respondent(respondent_id).round_id, lang)
    r = store.set_choices(respondent_id, no_quotes=None if quotes is None else not quotes, lang=lang)
    said = [("never quoted in briefs" if r.no_quotes else "may be quoted")] if quotes is not None else []
    if lang is not None:
        said.append(f"form in {r.lang or 'the framework' + chr(39) + 's own language'}")
    click.echo(f"{r.id} ({r.city}, {r.label}): " + "; ".join(said))


@respondents.command("list")
@store_option
@click.option("--round", "round_id", default=None, help="Only this round.")
@click.option("--city", default=None, help="Only this city.")
def respondents_list(store_url, round_id, city):
    """List respondents with their status (open, submitted, revoked) and how many questions they answered."""
    store = open_store(store_url)
    people = store.list_respondents(round_id, city)
    if not people:
        click.echo("No respondents yet. Issue links with `icf respondents add`.")
        return
    answers = store.answers_frame(round_id, city)
    answered = answers[answers.response.notna()].groupby("respondent_id").size().to_dict()
    click.echo(f"{'id':>5}  {'round':16} {'city':22} {'label':22} {'sector':20} {'status':10} answered")
    for r in people:
        total = len(store.framework_for(r.round_id).questions)
        click.echo(f"{r.id:>5}  {r.round_id:16} {r.city:22} {r.label:22} {r.sector:20} {r.status:10} "
                   f"{answered.get(r.id, 0)}/{total}")


def _set_status(store_url: str | None, ids: tuple[int, ...], status: str, verb: str) -> None:
    store = open_store(store_url)
    for rid in ids:
        r = store.set_status(rid, status, actor="facilitator")
        click.echo(f"{verb} {r.id} ({r.city}, {r.label}): now {r.status}")


@respondents.command("revoke")
@store_option
@click.argument("ids", nargs=-1, type=int, required=True)
def respondents_revoke(store_url, ids):
    """Withdraw the links of respondents IDS: they open no form any more (their answers are kept)."""
    _set_status(store_url, ids, "revoked", "Revoked")


@respondents.command("reopen")
@store_option
@click.argument("ids", nargs=-1, type=int, required=True)
def respondents_reopen(store_url, ids):
    """Reopen respondents IDS (submitted or revoked) so their links can change answers again."""
    _set_status(store_url, ids, "open", "Reopened")


@respondents.command("erase")
@store_option
@click.argument("respondent_id", metavar="ID", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def respondents_erase(store_url, respondent_id, yes):
    """Erase respondent ID (a request to erase personal data): their answers, evidence, links and comments,
    their role and label, their link, and that text in the audit log. An audit row records that the erasure
    happened, by whom and when, without the content. Briefs made afterwards no longer include them: re-run
    `icf run` for their round. A backup made before still holds them."""
    store = open_store(store_url)
    r = store.respondent(respondent_id)
    if not yes:
        click.confirm(f"Erase respondent {r.id} ({r.city}, {r.label}, round {r.round_id}) and all their answers? "
                      "This cannot be undone", abort=True)
    n = store.erase_respondent(respondent_id, actor="facilitator")
    click.echo(f"Erased respondent {r.id} ({r.city}, round {r.round_id}): {n} answers and their text removed; the "
               f"audit log keeps only that an erasure happened. Re-run `icf run --round {r.round_id}` to remake "
               "the briefs without them.")
