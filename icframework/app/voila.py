"""The form's glue with Voilà: what a preheated kernel does before anyone connects, and the page's assets.

`workbooks/self_assessment.ipynb` (served by `icf app`) is three calls:

    app = preload()               # in a preheated kernel: the settings `icf app` passed, the store, the frameworks
    page_setup()                  # the stylesheet and the script that sends pending changes when the page closes
    app.open(query_string())      # waits for the person's request, then shows their form (or a clear message)

The kernel is an edge: it reads its settings from the environment `icf app` gives it (`Settings.as_environment`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from .. import style
from ..config import Settings
from ..errors import ICFError
from ..store import Store

log = logging.getLogger(__name__)

KERNEL_READY = "[icframework] form kernel ready"
CSS_VARIABLES = {"text": style.TEXT, "background": style.BACKGROUND, "primary": style.PRIMARY, "muted": style.MUTED,
                 "accent": style.ACCENT, "accent-tint": style.ACCENT_TINT, "surface": style.SURFACE,
                 "primary-tint": style.PRIMARY_TINT, "error": style.ERROR, "success": style.SUCCESS,
                 "font": style.FONT}


@dataclass(frozen=True)
class FormApp:
    """What a form kernel holds before anyone connects: the store (None when `icf app` named none), the
    programme's cities folder and whom people can ask (the programme's `contact`)."""

    store: Store | None
    cities: Path | None = None
    contact: str | None = None
    locale: tuple[Path, ...] = ()  # the programme's own catalogues (icframework.i18n)

    def open(self, query: str):
        """The form for the link's respondent, or a clear message."""
        from .form import open_form

        return open_form(self.store, query, cities=self.cities, contact=self.contact, locale=self.locale)


def preload(env: Mapping[str, str] | None = None) -> FormApp:
    """Open the store `icf app` named ($ICF_STORE_URL) and load every round's framework (runs in a preheated
    kernel, before anyone connects). Without a store URL, the app shows a message instead of a form."""
    env = os.environ if env is None else env
    if not env.get("ICF_STORE_URL"):
        return FormApp(None)
    settings = Settings.from_environment(env)
    store = Store(settings.store_url)
    for r in store.list_rounds():
        try:
            store.framework_for(r.id)
        except ICFError:  # a round whose framework file went missing: reported when someone opens it
            log.exception("cannot load the framework of round %s", r.id)
    return FormApp(store, settings.cities, settings.contact, settings.locale)


def query_string() -> str:
    """The page's query string. With preheated kernels, waits here until a person actually opens the page."""
    if os.environ.get("VOILA_PREHEAT", "False") != "False":
        print(KERNEL_READY, file=sys.__stderr__, flush=True)  # to the server's log, not the page
        os.environ.update(wait_for_request())
    return os.environ.get("QUERY_STRING", "")


def wait_for_request(attempts: int = 5) -> dict[str, str]:
    """The request's variables (QUERY_STRING...) that Voilà sends a preheated kernel when someone opens the page.

    Does what `voila.utils.wait_for_request` does (same URL and environment variables), without importing Voilà
    into the kernel, which takes seconds per kernel. tests/test_contracts.py checks Voilà still does it this way.
    """
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    url = request_url(os.environ)
    for attempt in range(attempts):
        try:
            with connect(url, open_timeout=10, max_size=2**20) as ws:
                return json.loads(ws.recv())
        except (OSError, WebSocketException) as exc:  # e.g. the server is not listening yet
            print(f"[icframework] cannot reach {url} ({exc}); attempt {attempt + 1}", file=sys.__stderr__)
            time.sleep(1)
    return {}


def request_url(env: Mapping[str, str]) -> str:
    """Where a preheated kernel asks Voilà for the request that woke it (as `voila.utils.wait_for_request`)."""
    base = env.get("VOILA_WS_BASE_URL") or env.get("VOILA_SERVER_URL") or "/"
    return (f"{env.get('VOILA_WS_PROTOCOL') or 'ws'}://{env.get('VOILA_APP_IP') or '127.0.0.1'}:"
            f"{env.get('VOILA_APP_PORT') or '8866'}{base}voila/query/{env.get('VOILA_KERNEL_ID')}")


@cache
def asset(name: str) -> str:
    """A file of app/assets/ (the form's CSS and JavaScript), as text."""
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def stylesheet() -> str:
    """The form's stylesheet: the colours of `icframework.style` as --icf-* properties, then assets/form.css."""
    variables = "".join(f"--icf-{name}: {value}; " for name, value in CSS_VARIABLES.items())
    return f":root {{ {variables}}}\n{asset('form.css')}"


TEMPLATE = "icf"  # app/assets/jupyter/voila/templates/icf: Voilà's lab page without third-party requests


def jupyter_data() -> Path:
    """The Jupyter data folder the package carries (app/assets/jupyter): the Voilà template `icf`, and the
    `python3` kernel the served notebooks run on: ipykernel without debugpy, which ipykernel otherwise imports into
    every kernel (about 8 MiB per open form; Voilà never debugs). First on $JUPYTER_PATH in `serve`."""
    return Path(str(resources.files(__package__).joinpath("assets", "jupyter")))


def serve(argv: list[str] | None = None) -> None:
    """Run Voilà (its command line in `argv`, default sys.argv[1:]) with the package's Jupyter data folder first
    on $JUPYTER_PATH, where Voilà looks for templates, so that `--template=icf` finds the form's page."""
    from voila.app import main

    path = [str(jupyter_data()), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(path))
    sys.argv = [sys.argv[0], *(sys.argv[1:] if argv is None else argv)]
    sys.exit(main())


def page_setup():
    """What the page needs before any form: the stylesheet; a script that, when the page is closed, sends at
    once any change the widget library was still holding back (it sends one change at a time per field and
    keeps the latest one until the previous one is acknowledged); and a script that gives the widgets their
    accessible roles and names (assets/form.js: each question's choices a radio group named by the question)."""
    from IPython.display import HTML

    from .form import MAX_TEXT

    return HTML(f"<style>{stylesheet()}</style><script>window.icfMaxText = {MAX_TEXT};\n{asset('flush.js')}\n"
                f"{asset('form.js')}</script>")
