"""The Voilà server side of `icf app`: no kernel before a valid link, a cap on open pages, a limit on failed links,
and kernels that go soon after their page does.

Voilà gives every request for the page a kernel (a preheated one from the pool, or a new one), whatever its query
string, and keeps it until the idle cull: a stream of wrong links would fill the machine. `GuardedVoila` is Voilà
with its page handler replaced by `GuardedPageHandler`, which answers before any kernel is taken or started:

1. an address with too many failed links in the last minute gets a small static page, HTTP 429 and Retry-After;
2. the link is checked by a `Check` (for the form: the store's `authenticate`, against hashed codes), in a thread
   so the server keeps answering; a refused link gets a small static page with the same words the form would show,
   a 4xx status and no data, and counts as a failure for its address;
3. when `max_kernels` pages are already open, a polite "busy, try again in a minute" page, HTTP 503 and
   Retry-After;
4. only then Voilà's own handler, which hands the request a kernel.

The check is a parameter (`serve(argv, check=...)`): any Voilà app of this project whose page should open only
for a valid link can use the same server with its own check.

Kernels of closed pages: the page's `beforeunload` sends a shutdown request with the `_xsrf` cookie's value, but
with preheated kernels Voilà renders the page without ever reading `xsrf_token`, so the cookie was never set and
Jupyter Server's XSRF check refused the request (403, "'_xsrf' argument missing from POST"). The guarded handler
reads `xsrf_token` (which sets the cookie) before the page is sent, so the page's own shutdown works. When that
request never comes (a phone that drops the page, a crash), `GraceKernelManager` shuts a kernel down
`orphan_timeout` seconds after its last websocket closed without another one opening. Shutdowns wait
`shutdown_grace` seconds, so the last changes a closing page sent are saved first. Idle culling stays as the
backstop for a kernel whose page never connected.

A room arriving together: Voilà refills its pool of preheated kernels a second after each kernel is taken, so 20
people arriving together also started 20 kernels for nobody, on the same cores. On a busy machine the rendering of
a page then gave up waiting for the form cell's outputs (Voilà's executor waits 4 s, `iopub_timeout`) and sent
the page without its form, for good. `icf app` gives the executor 120 s, and `GraceKernelManager` holds refills
back until no page is being rendered and none has been asked for in `refill_quiet` seconds, then starts them one
at a time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import sys
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from html import escape

from .. import style

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Why a request gets a static page instead of a kernel: its HTTP status, a title and a sentence."""

    status: int
    title: str
    text: str
    retry_after: int | None = None  # seconds, sent as Retry-After


Check = Callable[[str], "Refusal | None"]  # the request's query string -> None when it may open the page

BUSY = Refusal(503, "The form is busy",
               "Many people have the form open right now. Please try again in a minute; every answer you have "
               "already given is saved.", retry_after=60)


def too_many_failures(retry_after: int) -> Refusal:
    return Refusal(429, "Too many links that do not work",
                   "Too many links that do not open a form came from your connection in the last minute. Please "
                   "wait a minute, then check your link, or ask your facilitator for a new one.",
                   retry_after=max(1, retry_after))


class FailureLimiter:
    """At most `limit` failed links per address in a sliding window of `window` seconds.

    `wait(address)` is how many seconds the address must wait (0 when it may try); `fail(address)` records a
    failure. Old entries are dropped as they are met, and addresses with none left are forgotten, so memory stays
    bounded by the failures of the last window."""

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._swept = clock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures[address]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait(self, address: str) -> int:
        if self.limit <= 0:  # no limit
            return 0
        now = self.clock()
        self._sweep(now)
        if address not in self._failures:
            return 0
        times = self._recent(address, now)
        if len(times) < self.limit:
            if not times:
                del self._failures[address]
            return 0
        return max(1, int(times[0] + self.window - now + 0.999))

    def fail(self, address: str) -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        self._recent(address, now).append(now)

    def _sweep(self, now: float) -> None:
        if now - self._swept < self.window:
            return
        self._swept = now
        for address in [a for a, t in self._failures.items() if not t or t[-1] <= now - self.window]:
            del self._failures[address]

    def __len__(self) -> int:
        return len(self._failures)


def client_address(remote_ip: str, headers: Mapping[str, str]) -> str:
    """The address a request came from. Behind a reverse proxy on the same machine (the peer is a loopback
    address), the proxy's X-Real-IP, else the last X-Forwarded-For entry (the one the proxy added); a direct
    client's own headers are ignored, so it cannot pose as someone else."""
    try:
        loopback = ipaddress.ip_address(remote_ip).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        forwarded = (headers.get("X-Real-IP") or "").strip() or \
            (headers.get("X-Forwarded-For") or "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return remote_ip


PAGE_CSS = (
    "body{margin:0;font-family:" + style.FONT.replace('"', "'") + ";color:" + style.TEXT + ";background:"
    + style.BACKGROUND + ";line-height:1.5}main{max-width:40rem;margin:0 auto;padding:2rem 1rem}"
    "h1{color:" + style.PRIMARY + ";font-size:1.6rem;line-height:1.25;margin:0 0 1rem}"
    "p{font-size:1.1rem;margin:0;padding:.75rem 1rem;background:" + style.SURFACE + ";border-left:6px solid "
    + style.ACCENT + ";overflow-wrap:anywhere}"
    ".again{display:inline-block;margin-top:1.25rem;padding:.6rem 1.2rem;background:" + style.PRIMARY + ";color:"
    + style.BACKGROUND + ";border-radius:4px;font-weight:bold;text-decoration:none}"
    ".again:focus{outline:3px solid " + style.ACCENT + ";outline-offset:2px}"
)


def static_page(refusal: Refusal) -> str:
    """The page a refused request gets: a title and a sentence, styled like the form, with no script, no data and
    nothing fetched from anywhere (the response's Content-Security-Policy forbids it)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(refusal.title)}</title><style>{PAGE_CSS}</style></head>"
            f'<body><main><h1>{escape(refusal.title)}</h1><p role="alert">{escape(refusal.text)}</p>'
            + ('<a class="again" href="">Try again</a>' if refusal.status == 503 else "")
            + "</main></body></html>\n")


PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def pooled_kernels(kernel_manager) -> set[str]:
    """The kernels waiting in Voilà's preheated pools (not yet handed to a page)."""
    out = set()
    for pool in getattr(kernel_manager, "_pools", {}).values():
        for task in pool:
            if task.done() and not task.cancelled() and task.exception() is None:
                out.add(task.result()["kernel_id"])
    return out


def open_pages(kernel_manager, notebook: str) -> int:
    """Kernels handed to pages (or starting for them): every kernel but the preheated ones waiting in the pool.
    (A pool refill still waiting for its turn has no kernel yet, so it is not subtracted.)"""
    pooled = pooled_kernels(kernel_manager)
    return sum(k not in pooled for k in kernel_manager.list_kernel_ids())


# -- how many forms to preheat ---------------------------------------------------------------------------------
MIB = 2**20
KERNEL_BYTES = 80 * MIB  # a form's kernel: 73 MiB RSS measured in a room of 20 (README), rounded up
AUTO_POOL_CAP = 20  # the room measured: 20 people within 5 s had p95 1.7 s with 20 preheated forms, 10 s with 2
AUTO_POOL_FLOOR = 2  # what `icf app` preheated before: one person at a time finds a form ready


def auto_pool_size(people: int, available_bytes: int, *, cap: int = AUTO_POOL_CAP, floor: int = AUTO_POOL_FLOOR,
                   kernel_bytes: int = KERNEL_BYTES) -> int:
    """Forms to keep preheated for `icf app --pool-size auto`: one per person who can come (`people`, counted by
    `Store.people_with_live_links`), at least `floor`, at most `cap`, and never more than half of the
    `available_bytes` of memory holds at `kernel_bytes` each, since the pool is refilled once people take its
    forms: a room that takes it all ends with twice as many kernels. Memory wins over the floor."""
    by_memory = max(0, available_bytes // 2 // kernel_bytes)
    return min(max(people, floor), cap, by_memory)


def auto_pool_line(people: int, available_bytes: int, *, cap: int = AUTO_POOL_CAP, floor: int = AUTO_POOL_FLOOR,
                   kernel_bytes: int = KERNEL_BYTES) -> tuple[int, str]:
    """`auto_pool_size` and the sentence that says how many forms are preheated and why."""
    size = auto_pool_size(people, available_bytes, cap=cap, floor=floor, kernel_bytes=kernel_bytes)
    forms = "no forms" if size == 0 else "1 form" if size == 1 else f"{size} forms"
    who = ("no one has a link to an open round yet" if people == 0 else
           "1 person has a link to an open round" if people == 1 else f"{people} people have links to open rounds")
    if size < min(max(people, floor), cap):
        why = (f"{who}, but half of the {available_bytes / 2**30:.1f} GB of memory available holds only {size} "
               f"at about {kernel_bytes // MIB} MiB each")
    else:
        limit = f"at least {floor}" if people < floor else f"at most {cap}" if people > cap else "one each"
        why = f"{who} ({limit}; about {size * kernel_bytes / 2**30:.1f} GB of memory)"
    return size, f"Preheating {forms}: {why}. Change it with --pool-size."


# -- the form's check -----------------------------------------------------------------------------------------
def form_check(env: Mapping[str, str] | None = None) -> Check:
    """The form's check: the link's city and code, through the store's `authenticate` (hashed codes). The store
    ($ICF_STORE_URL, as `icf app` gives it) is opened on first use."""
    from .form import NO_STORE, parse_link

    env = dict(os.environ if env is None else env)
    store_box: list = []

    def check(query: str) -> Refusal | None:
        from ..errors import AccessDenied

        if not env.get("ICF_STORE_URL"):
            return Refusal(503, "The form is not available", NO_STORE)
        if not store_box:
            from ..config import Settings
            from ..store import Store

            store_box.append(Store(Settings.from_environment(env).store_url))
        city, code = parse_link(query)
        try:
            store_box[0].authenticate(city, code)
        except AccessDenied as exc:
            return Refusal(400 if not (city and code) else 403, "This link does not open a form", str(exc))
        return None

    return check


# -- Voilà ----------------------------------------------------------------------------------------------------
@cache
def _classes():
    """GuardedPageHandler, GuardedVoila and GraceKernelManager, built on first use (so that importing this module,
    e.g. in the CLI, does not import Voilà or Jupyter Server)."""
    import tornado.web
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
    from traitlets import Float, Int
    from voila.app import Voila
    from voila.request_info_handler import RequestInfoSocketHandler
    from voila.tornado.handler import TornadoVoilaHandler

    class GraceKernelManager(AsyncMappingKernelManager):
        """Waits `shutdown_grace` seconds before a shutdown (the last changes of a closing page are saved first) and
        shuts down a kernel whose page is gone: `orphan_timeout` seconds after its last websocket closed."""

        shutdown_grace = Float(3.0, config=True, help="Seconds to wait before shutting a kernel down.")
        orphan_timeout = Float(20.0, config=True,
                               help="Shut a kernel down this many seconds after its last page connection closed "
                               "(and none opened again); 0 turns this off.")

        refill_quiet = Float(2.0, config=True,
                             help="Start a kernel that refills the preheated pool once no page is being rendered "
                             "and none has been asked for in this many seconds, one at a time.")
        refill_wait_max = Float(30.0, config=True,
                                help="Seconds a refill of the pool waits for pages to stop, at most.")

        def __init__(self, **kwargs):
            self._gone_since: dict[str, float] = {}
            self._last_page: float | None = None  # when a page was last asked for or sent (monotonic seconds)
            self._rendering = 0  # pages being rendered now
            self._warming: set[object] = set()  # turns of pool kernels starting, not yet waiting for a person
            super().__init__(**kwargs)

        def page_started(self) -> None:
            """A page is being rendered for someone: refills of the pool wait until pages stop."""
            self._rendering += 1
            self._last_page = time.monotonic()

        def page_finished(self) -> None:
            self._rendering -= 1
            self._last_page = time.monotonic()

        async def start_kernel(self, **kwargs):
            """Start a kernel. A kernel for the preheated pool (Voilà refills its pool as soon as a kernel is taken)
            first waits for its turn (`_refill_turn`), unless a page is already waiting for it."""
            if (kwargs.get("env") or {}).get("VOILA_PREHEAT") != "True":
                return await super().start_kernel(**kwargs)
            slot = object()  # holds this kernel's turn from now until it is preheated
            await self._refill_turn(asyncio.current_task(), slot)
            try:
                kernel_id = await super().start_kernel(**kwargs)
            except BaseException:
                self._warming.discard(slot)
                raise
            asyncio.ensure_future(self._until_preheated(kernel_id, slot))
            return kernel_id

        def _in_pool(self, task) -> bool:
            return any(task in pool for pool in getattr(self, "_pools", {}).values())

        async def _refill_turn(self, task, slot) -> None:
            """Wait until this pool kernel may start: before anyone came, as many at once as there are cores;
            afterwards one at a time, once no page is being rendered and none was for `refill_quiet` seconds (at
            most `refill_wait_max` seconds). People arriving together then share the cores with no kernel that
            nobody waits for yet. A kernel a page has already taken from the pool (it ran out) starts at once."""
            since = time.monotonic()
            while self._in_pool(task):
                now = time.monotonic()
                if self._last_page is None:
                    if len(self._warming) < (os.cpu_count() or 1):
                        break
                elif not self._warming and ((not self._rendering and now - self._last_page >= self.refill_quiet)
                                            or now - since >= self.refill_wait_max):
                    break
                await asyncio.sleep(0.2)
            self._warming.add(slot)  # no await between the check and this: one turn per check

        async def _until_preheated(self, kernel_id: str, slot, timeout: float = 60.0) -> None:
            """Give the turn (`slot`) back once the kernel waits for a person (it opened Voilà's request socket),
            is gone, or after `timeout` seconds."""
            deadline = time.monotonic() + timeout
            while (kernel_id not in RequestInfoSocketHandler._waiters and kernel_id in self
                   and time.monotonic() < deadline):
                await asyncio.sleep(0.2)
            self._warming.discard(slot)

        def notify_connect(self, kernel_id):
            self._gone_since.pop(kernel_id, None)
            return super().notify_connect(kernel_id)

        def notify_disconnect(self, kernel_id):
            super().notify_disconnect(kernel_id)
            if self.orphan_timeout > 0 and self._kernel_connections.get(kernel_id, 1) <= 0:
                self._gone_since[kernel_id] = time.monotonic()
                asyncio.get_event_loop().call_later(self.orphan_timeout, self._reap, kernel_id)

        def _reap(self, kernel_id):
            since = self._gone_since.get(kernel_id)
            if since is None or time.monotonic() - since < self.orphan_timeout - 0.05:
                return  # reconnected meanwhile, or a later disconnection has its own timer
            self._gone_since.pop(kernel_id, None)
            if kernel_id in self and self._kernel_connections.get(kernel_id, 0) <= 0:
                self.log.info("Shutting down kernel %s: its page closed %.0f s ago", kernel_id, self.orphan_timeout)
                asyncio.ensure_future(self._shutdown_quietly(kernel_id))

        async def _shutdown_quietly(self, kernel_id):
            try:
                await self.shutdown_kernel(kernel_id)
            except Exception:  # already gone (the page's own request, or the cull, came first)
                self.log.debug("kernel %s was already shut down", kernel_id, exc_info=True)

        async def shutdown_kernel(self, kernel_id, now=False, restart=False):
            if not (now or restart):
                await asyncio.sleep(self.shutdown_grace)
                if kernel_id not in self:  # a second request during the grace period
                    return None
            self._gone_since.pop(kernel_id, None)
            return await super().shutdown_kernel(kernel_id, now=now, restart=restart)

        async def shutdown_all(self, now=False):
            self.shutdown_grace = 0.0  # the server is stopping: nothing more will arrive
            return await super().shutdown_all(now=now)

    class GuardedPageHandler(TornadoVoilaHandler):
        """Voilà's page handler, answering refused links, over-limit addresses and a full server with a static
        page before any kernel is taken or started."""

        @tornado.web.authenticated
        async def get(self, path=None):
            guard: GuardedVoila = self.settings["icf_guard"]
            if path:  # not the page itself (Voilà redirects to the file): no kernel
                return await super().get(path)
            if guard.check is not None:
                address = client_address(self.request.remote_ip or "", self.request.headers)
                wait = guard.limiter.wait(address)
                if wait:
                    return self.refuse(too_many_failures(wait))
                loop = asyncio.get_running_loop()
                refusal = await loop.run_in_executor(guard.executor, guard.check, self.request.query)
                if refusal is not None:
                    guard.limiter.fail(address)
                    return self.refuse(refusal)
            if guard.max_kernels and open_pages(self.kernel_manager, self.notebook_path) >= guard.max_kernels:
                return self.refuse(BUSY)
            self.xsrf_token  # noqa: B018  sets the _xsrf cookie the page's shutdown request sends back
            pages = self.kernel_manager if hasattr(self.kernel_manager, "page_started") else None
            if pages:
                pages.page_started()
            try:
                return await super().get(path)
            finally:
                if pages:
                    pages.page_finished()

        def refuse(self, refusal: Refusal) -> None:
            self.set_status(refusal.status)
            for name, value in PAGE_HEADERS.items():
                self.set_header(name, value)
            if refusal.retry_after:
                self.set_header("Retry-After", str(refusal.retry_after))
            self.finish(static_page(refusal))

    class GuardedVoila(Voila):
        """Voilà whose notebook page opens only for a request `check` accepts (see the module's docstring)."""

        check: Check | None = None  # set by serve(): Check(query string) -> Refusal or None; None lets all in
        max_kernels = Int(40, config=True, help="Pages open at once (kernels handed out); 0 for no limit.")
        failed_links_per_minute = Int(10, config=True,
                                      help="Failed links an address may send in a minute before it must wait; "
                                      "0 for no limit.")

        def init_handlers(self):
            self.limiter = FailureLimiter(self.failed_links_per_minute, 60.0)
            self.executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="icf-check")
            self.app.settings["icf_guard"] = self
            handlers = super().init_handlers()
            return [(h[0], GuardedPageHandler, *h[2:]) if len(h) > 1 and h[1] is TornadoVoilaHandler else h
                    for h in handlers]

    return GuardedPageHandler, GuardedVoila, GraceKernelManager


def __getattr__(name):
    classes = dict(zip(("GuardedPageHandler", "GuardedVoila", "GraceKernelManager"), _classes(), strict=True)) \
        if name in ("GuardedPageHandler", "GuardedVoila", "GraceKernelManager") else {}
    if name in classes:
        return classes[name]
    raise AttributeError(name)


def resolve_check(spec: str) -> Check | None:
    """The check a command line names: "module:factory", a function of no arguments returning the Check (e.g.
    "icframework.app.server:form_check"); "" for none (every request gets a page)."""
    if not spec:
        return None
    from importlib import import_module

    module, _, name = spec.partition(":")
    return getattr(import_module(module), name)()


def serve(argv: list[str] | None = None, check: Check | str | None = None) -> None:
    """Run Voilà, guarded by `check` (a Check, or a "module:factory" spec for `resolve_check`; None: no link
    check, but the cap on open pages and the shutdown of closed pages' kernels still apply), with its command line
    in `argv` (default sys.argv[1:]) and the package's Jupyter data folder first on $JUPYTER_PATH (the `icf`
    template)."""
    from .voila import jupyter_data

    _, guarded_voila, _ = _classes()
    path = [str(jupyter_data()), *filter(None, os.environ.get("JUPYTER_PATH", "").split(os.pathsep))]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(path))
    sys.argv = [sys.argv[0], *(sys.argv[1:] if argv is None else argv)]
    guarded_voila.check = staticmethod(resolve_check(check) if isinstance(check, str) else check)
    sys.exit(guarded_voila.launch_instance())
