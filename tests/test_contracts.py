"""What icframework assumes about other libraries' internals, checked against the installed versions.

pyproject.toml bounds each of these libraries below its next major (or minor) release; when a bound is raised,
these tests say whether the assumption still holds.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path


def test_voila_preheated_kernels_ask_for_the_request_where_we_ask(monkeypatch):
    """app/voila.py re-implements `voila.utils.wait_for_request` without importing Voilà into the kernel: same
    environment variables, same websocket URL, a JSON object of variables as the answer."""
    import voila.utils

    from icframework.app.voila import request_url

    env = {"VOILA_PREHEAT": "True", "VOILA_KERNEL_ID": "k-123", "VOILA_APP_IP": "10.1.2.3",
           "VOILA_APP_PORT": "9999", "VOILA_WS_PROTOCOL": "wss", "VOILA_SERVER_URL": "/forms/"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("VOILA_WS_BASE_URL", raising=False)
    asked = []

    async def fake_request_info(url):
        asked.append(url)
        return '{"QUERY_STRING": "city=bristol&code=x"}'

    monkeypatch.setattr(voila.utils, "_get_request_info", fake_request_info)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    voila.utils.wait_for_request()
    assert asked == [request_url(env)] == ["wss://10.1.2.3:9999/forms/voila/query/k-123"]
    import os

    assert os.environ["QUERY_STRING"] == "city=bristol&code=x"
    monkeypatch.setenv("VOILA_WS_BASE_URL", "/ws/")
    voila.utils.wait_for_request()
    assert asked[-1] == request_url(os.environ) == "wss://10.1.2.3:9999/ws/voila/query/k-123"


def test_voila_serves_the_request_to_the_kernel_on_that_route():
    from voila import app

    source = inspect.getsource(app)
    assert re.search(r'r"/voila/query/%s" % _kernel_id_regex\s*\),\s*RequestInfoSocketHandler', source)


def test_papermill_execution_manager_has_what_the_warm_engine_calls():
    """batch/engine.py drives papermill's NotebookExecutionManager itself and replaces its `save`."""
    from papermill.engines import NotebookExecutionManager, papermill_engines
    from papermill.utils import nb_kernel_name, nb_language

    params = inspect.signature(NotebookExecutionManager.__init__).parameters
    assert {"nb", "output_path", "progress_bar", "log_output", "autosave_cell_every"} <= set(params)
    for method in ("notebook_start", "cell_start", "cell_complete", "cell_exception", "notebook_complete",
                   "cleanup_pbar", "save"):
        assert callable(getattr(NotebookExecutionManager, method))
    assert callable(nb_kernel_name) and callable(nb_language)
    from icframework.batch.engine import WarmEngine

    assert papermill_engines.get_engine("icf-warm") is WarmEngine  # registered through the entry point


def test_ipython_shell_hooks_the_warm_engine_overrides():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    assert {"displayhook_class", "display_pub_class"} <= set(InteractiveShell.class_trait_names())
    for method in ("start_displayhook", "write_output_prompt", "write_format_data", "finish_displayhook"):
        assert callable(getattr(DisplayHook, method))
    publish = inspect.signature(DisplayPublisher.publish).parameters
    assert {"data", "metadata", "transient", "update"} <= set(publish)
    assert callable(DisplayPublisher.clear_output)
    assert list(inspect.signature(InteractiveShell._showtraceback).parameters)[1:] == ["etype", "evalue", "stb"]
    from ipykernel.jsonutil import encode_images
    from jupyter_client.jsonutil import json_default

    assert callable(encode_images) and callable(json_default)


def test_ipywidgets_private_parts_the_form_uses():
    import ipywidgets as W
    from ipywidgets.widgets.widget_description import DescriptionStyle
    from ipywidgets.widgets.widget_string import HTMLStyle, TextStyle

    assert issubclass(HTMLStyle, DescriptionStyle) and issubclass(TextStyle, DescriptionStyle)
    assert "_dom_classes" in W.HTML().keys


def test_the_widget_manager_in_voilas_pages_has_the_fields_flush_js_reads():
    """assets/flush.js sends a field's held-back change when the page closes, through the widget model's
    `_msg_buffer`, `_pending_msgs`, `send_sync_message` and `comm_live` (ipywidgets' JavaScript, as bundled by
    Voilà)."""
    import sys

    from icframework.app.voila import asset

    script = asset("flush.js")
    fields = ["_msg_buffer", "_pending_msgs", "send_sync_message", "comm_live"]
    assert all(f in script for f in fields)
    bundles = list((Path(sys.prefix) / "share" / "jupyter" / "voila" / "labextensions").rglob("*.js"))
    manager8 = [b for b in bundles if "widgets-manager8" in str(b)]
    assert manager8, "Voilà's widget manager for ipywidgets 8 is not installed"
    text = "".join(b.read_text(errors="ignore") for b in manager8)
    assert all(f in text for f in fields)


def test_nbconvert_template_exporter_parts_the_html_brief_uses():
    """render/html.py calls TemplateExporter.from_notebook_node directly (skipping HTMLExporter's BeautifulSoup
    pass) and turns on autoescaping in `_create_environment`."""
    from nbconvert.exporters import HTMLExporter, TemplateExporter

    assert issubclass(HTMLExporter, TemplateExporter)
    assert callable(TemplateExporter._create_environment)
    from icframework.render.html import BriefTemplate

    env = BriefTemplate()._create_environment()
    assert env.autoescape is True


def test_jupyter_server_kernel_manager_methods_icf_app_overrides():
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    assert list(inspect.signature(AsyncMappingKernelManager.shutdown_kernel).parameters) == [
        "self", "kernel_id", "now", "restart"]
    assert list(inspect.signature(AsyncMappingKernelManager.shutdown_all).parameters) == ["self", "now"]
    assert inspect.iscoroutinefunction(AsyncMappingKernelManager.shutdown_kernel)


def test_voila_internals_the_guarded_form_server_relies_on():
    """app/server.py replaces Voilà's page handler in `Voila.init_handlers` (route tuples of (url, handler, kwargs),
    called in `start()` after `self.app` is made), reads the pool through `get_pool_size` and the kernels through
    `list_kernel_ids`, and sets the `_xsrf` cookie that the page's shutdown beacon sends back."""
    from voila import app, handler, voila_kernel_manager
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
    from voila.tornado.handler import TornadoVoilaHandler

    source = inspect.getsource(app.Voila.init_handlers)
    assert re.search(r'r"/\(\.\*\)"\),\s*TornadoVoilaHandler,\s*\{', source)
    start = inspect.getsource(app.Voila.start)
    assert start.index("self.app = tornado.web.Application") < start.index("self.init_handlers()")
    assert list(inspect.signature(TornadoVoilaHandler.get).parameters) == ["self", "path"]
    assert "self.notebook_path" in inspect.getsource(handler.VoilaHandler.initialize)
    factory = inspect.getsource(voila_kernel_manager.voila_kernel_manager_factory)
    assert "def get_pool_size(self, notebook_name: str) -> int:" in factory
    assert "def notify_connect" not in factory and "def notify_disconnect" not in factory
    # The page's shutdown request: a POST (so Jupyter Server checks XSRF) whose _xsrf comes from the cookie.
    from jupyter_server.base.handlers import APIHandler

    assert issubclass(VoilaShutdownKernelHandler, APIHandler) and "post" in vars(VoilaShutdownKernelHandler)
    bundle = next((Path(sys.prefix) / "share" / "jupyter" / "voila" / "labextensions").rglob(
        "widgets-manager8/static/*.js"))
    text = "".join(b.read_text(errors="ignore") for b in bundle.parent.glob("*.js"))
    assert 'match("\\\\b_xsrf=([^;]*)\\\\b")' in text and "voila/api/shutdown/" in text and "sendBeacon" in text


def test_voila_pool_internals_the_refill_gate_relies_on():
    """GraceKernelManager holds back the refills of Voilà's preheated pool: a refill is a task in
    `VoilaKernelManager._pools[notebook]` (popped by the page that takes it) whose result names its `kernel_id`;
    it calls the base class's `start_kernel` with VOILA_PREHEAT=True in its env, in that task; a preheated kernel
    waiting for its person has its request socket in `RequestInfoSocketHandler._waiters`. The page's rendering
    waits `VoilaExecutor.iopub_timeout` seconds for a cell's outputs (icf app raises it)."""
    from voila import voila_kernel_manager
    from voila.execute import VoilaExecutor
    from voila.request_info_handler import RequestInfoSocketHandler

    factory = inspect.getsource(voila_kernel_manager.voila_kernel_manager_factory)
    assert "pool_item = self._pools[notebook_name].pop(0)" in factory
    assert 'kernel_env[ENV_VARIABLE.VOILA_PREHEAT] = "True"' in factory
    assert "wait_before(" in factory and "loop.create_task(" in factory
    assert re.search(r"kernel_id = await super\(\)\.start_kernel\(\s*kernel_name=kernel_name, \*\*kwargs", factory)
    assert 'return {"task": task, "renderer": renderer, "kernel_id": kernel_id}' in factory
    assert "RequestInfoSocketHandler._waiters[kernel_id] = self" in inspect.getsource(RequestInfoSocketHandler.open)
    assert "iopub_timeout" in VoilaExecutor.class_traits()


def test_jupyter_server_connection_counting_the_grace_kernel_manager_uses():
    """GraceKernelManager shuts a kernel down after its last websocket closed: `notify_connect` and
    `notify_disconnect` (called by the websocket connection) and the `_kernel_connections` counts."""
    from jupyter_server.services.kernels.connection import channels
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    assert list(inspect.signature(AsyncMappingKernelManager.notify_connect).parameters) == ["self", "kernel_id"]
    assert list(inspect.signature(AsyncMappingKernelManager.notify_disconnect).parameters) == ["self", "kernel_id"]
    assert "self._kernel_connections[kernel_id] -= 1" in inspect.getsource(AsyncMappingKernelManager.notify_disconnect)
    source = inspect.getsource(channels.ZMQChannelsWebsocketConnection)
    assert "notify_connect(self.kernel_id)" in source and "notify_disconnect(self.kernel_id)" in source
    assert "list_kernel_ids" in dir(AsyncMappingKernelManager)


def test_ruamel_reads_with_libyaml_and_yaml_1_2_rules():
    """model/yamlio.py's load_data asks ruamel for its C loader (ruamel.yaml.clib, a dependency): the parser and
    its events come from libyaml, the constructor keeps YAML 1.2's scalars, and the events carry their lines."""
    from ruamel.yaml.events import AliasEvent

    from icframework.model.yamlio import _fast

    yaml = _fast()
    assert yaml.Parser.__name__ == "CParser" and yaml.Parser.__module__.endswith("_ruamel_yaml")
    assert yaml.load("a: no\nb: 012\n") == {"a": "no", "b": 12}
    alias = [e for e in yaml.parse("a: &x 1\nb: *x\n") if isinstance(e, AliasEvent)]
    assert alias[0].start_mark.line == 1
