"""`icf-warm`: a papermill engine that runs a notebook's cells in this process, with the imports already warm.

Starting a Jupyter kernel costs seconds per notebook: a new interpreter, ZMQ sockets, then importing pandas
and icframework again. A batch of cities pays that once per worker instead. The cells run in an IPython
shell that lives as long as the worker process; each notebook gets a FRESH namespace (execution count 1, no
variables from the previous notebook) and its outputs are captured the way a kernel reports them: ``stream``,
``display_data`` (with display ids and clear_output), ``execute_result`` and ``error`` outputs in nbformat.

    papermill --engine icf-warm workbooks/city_diagnostic.ipynb out.ipynb -p city cardiff -p round_id virtual-2020

What notebooks share in one worker: imported modules and their caches (as in a kernel after ``%reset``).
Environment variables, ``sys.path`` and the working directory are restored after each notebook.
Differences from a kernel: output written straight to file descriptors (C code, child processes) is not captured,
widgets have no frontend, and a cell cannot be interrupted by a timeout.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import io
import json
import os
import sys
import threading

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from nbformat import from_dict

LANGUAGE_INFO = {  # what ipykernel reports in kernel_info, so executed notebooks look the same
    "name": "python",
    "version": sys.version.split()[0],
    "mimetype": "text/x-python",
    "codemirror_mode": {"name": "ipython", "version": sys.version_info[0]},
    "pygments_lexer": "ipython3",
    "nbconvert_exporter": "python",
    "file_extension": ".py",
}

_LOCK = threading.RLock()  # one notebook at a time per process: the shell, sys.stdout and the cwd are shared


def new_output(output_type: str, **fields):
    """An nbformat output (not validated one by one: papermill validates the whole notebook when writing it)."""
    return from_dict({"output_type": output_type, **fields})


def _wire(data):
    """Bundle data as it would arrive from a kernel: images base64-encoded, then through JSON."""
    from ipykernel.jsonutil import encode_images
    from jupyter_client.jsonutil import json_default

    return json.loads(json.dumps(encode_images(data), default=json_default))


class Outputs:
    """Collects the outputs of the running cell, following nbclient's rules for display ids and clear_output."""

    def __init__(self):
        self.cell: list | None = None
        self.by_display_id: dict[str, list] = {}
        self.clear_pending = False
        self.buffered = {"stdout": [], "stderr": []}

    def _append(self, output):
        if self.clear_pending:
            self.clear_now()
        self.cell.append(output)
        return output

    def write(self, name: str, text: str) -> None:
        self.buffered[name].append(text)

    def flush(self) -> None:
        """Turn buffered text into stream outputs, stdout first, as ipykernel does before any other output."""
        for name, parts in self.buffered.items():
            if not parts:
                continue
            text = "".join(parts)
            parts.clear()
            last = self.cell[-1] if self.cell and not self.clear_pending else None
            if last is not None and last.output_type == "stream" and last.name == name:
                last.text += text
            else:
                self._append(new_output("stream", name=name, text=text))

    def display(self, data, metadata, transient, update: bool) -> None:
        self.flush()
        data, metadata = _wire(data), _wire(metadata or {})
        display_id = (transient or {}).get("display_id")
        if update:
            for out in self.by_display_id.get(display_id, []):
                out.data, out.metadata = from_dict(data), from_dict(metadata)
            return
        out = self._append(new_output("display_data", data=data, metadata=metadata))
        if display_id:
            self.by_display_id.setdefault(display_id, []).append(out)

    def result(self, data, metadata, execution_count: int) -> None:
        self.flush()
        self._append(new_output("execute_result", data=_wire(data), metadata=_wire(metadata or {}),
                                execution_count=execution_count))

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self.flush()
        self._append(new_output("error", ename=ename, evalue=evalue, traceback=list(traceback)))

    def clear(self, wait: bool) -> None:
        self.flush()
        if wait:
            self.clear_pending = True
        else:
            self.clear_now()

    def clear_now(self) -> None:
        self.clear_pending = False
        for outs in self.by_display_id.values():
            outs[:] = [o for o in outs if not any(o is c for c in self.cell)]
        self.cell.clear()


OUTPUTS = Outputs()


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr while a cell runs."""

    def __init__(self, name: str):
        self.name = name

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def write(self, text):
        OUTPUTS.write(self.name, str(text))
        return len(text)


class _Publisher(DisplayPublisher):
    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
        OUTPUTS.display(data, metadata, transient, update)

    def clear_output(self, wait=False):
        OUTPUTS.clear(wait)


class _DisplayHook(DisplayHook):
    def start_displayhook(self):
        pass

    def write_output_prompt(self):
        pass

    def write_format_data(self, format_dict, md_dict=None):
        OUTPUTS.result(format_dict, md_dict, self.prompt_count)

    def finish_displayhook(self):
        pass

    def flush(self):
        """IPython's flush (`reset` calls it between notebooks), without its closing full `gc.collect()`: 10-15 ms a
        notebook in a warm worker. The young generations are collected; older cycles go as the interpreter's own
        collector finds them."""
        for n in range(1, self.prompt_count + 1):
            self.shell.user_ns_hidden.pop(f"_{n}", None)
            self.shell.user_ns.pop(f"_{n}", None)
        oh = self.shell.user_ns.get("_oh", None)
        if oh is not None:
            oh.clear()
        self._, self.__, self.___ = "", "", ""
        if "_" not in builtins.__dict__:
            self.shell.user_ns.update({"_": self._, "__": self.__, "___": self.___})
        gc.collect(1)


class WarmShell(InteractiveShell):
    """An IPython shell whose outputs become nbformat outputs of the running cell."""

    displayhook_class = _DisplayHook
    display_pub_class = _Publisher

    def _showtraceback(self, etype, evalue, stb):
        OUTPUTS.error(etype.__name__, str(evalue), stb)

    def enable_gui(self, gui=None):  # no event loop to integrate with
        pass


def shell() -> WarmShell:
    """The process's warm shell, created on first use."""
    from traitlets.config import Config

    if not WarmShell.initialized():
        config = Config()
        config.HistoryManager.enabled = False  # no SQLite history file per worker
        host_main = sys.modules.get("__main__")
        WarmShell.instance(config=config)
        sys.modules["__main__"] = host_main  # the shell installs its own; it is swapped in per notebook
    return WarmShell.instance()


def warm_up(modules=("pandas", "nbformat", "papermill", "icframework.store", "icframework.analysis.reports",
                     "icframework.analysis.charts", "icframework.analysis.exchange", "icframework.render")) -> None:
    """Import what the workbooks need and create the shell, so the first notebook starts warm."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    shell()
    gc.freeze()  # what is loaded now lives as long as the worker: keep it out of every later collection


def execute_cells(nb_man) -> None:
    """Run the code cells of papermill's managed notebook in a fresh namespace, stopping at the first error
    (unless the cell is tagged ``raises-exception``, as in nbclient)."""
    with _LOCK:
        sh = shell()
        if sh.execution_count != 1:
            sh.reset(new_session=True)
        OUTPUTS.by_display_id.clear()
        for parts in OUTPUTS.buffered.values():  # text written after the previous notebook ended is not ours
            parts.clear()
        try:
            with _sandbox(sh):
                for index, cell in enumerate(nb_man.nb.cells):
                    nb_man.cell_start(cell, index)
                    try:
                        if cell.cell_type == "code" and cell.source.strip():
                            if not _run_cell(sh, cell):
                                nb_man.cell_exception(cell, cell_index=index)
                                break
                    finally:
                        nb_man.cell_complete(cell, cell_index=index)
        finally:
            OUTPUTS.cell = None
            sh.reset(new_session=True)  # a fresh namespace, and the notebook's objects freed now
        nb_man.nb.metadata["language_info"] = dict(LANGUAGE_INFO)


@contextlib.contextmanager
def _sandbox(sh: WarmShell):
    """Capture sys.stdout/stderr; afterwards restore what a notebook may change in the process."""
    env, path, cwd = dict(os.environ), list(sys.path), os.getcwd()
    streams, main = (sys.stdout, sys.stderr), sys.modules["__main__"]
    sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
    sys.modules["__main__"] = sh.user_module  # as in a kernel: pickle finds the notebook's classes
    try:
        yield
    finally:
        (sys.stdout, sys.stderr), sys.modules["__main__"] = streams, main
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = path
        os.chdir(cwd)


def _run_cell(sh: WarmShell, cell) -> bool:
    """Run one cell; True when it succeeded or was expected to fail."""
    cell.outputs = []
    OUTPUTS.cell, OUTPUTS.clear_pending = cell.outputs, False
    try:
        result = sh.run_cell(cell.source, store_history=True)
    finally:
        OUTPUTS.flush()
    cell.execution_count = result.execution_count
    expected = "raises-exception" in cell.metadata.get("tags", [])
    return result.success or expected


class WarmEngine:
    """The papermill engine `icf-warm` (registered under the `papermill.engine` entry point).

    It has papermill's Engine interface; it does not subclass papermill's Engine because papermill imports
    its entry points while `papermill.engines` itself is still being imported.
    """

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        from papermill.engines import NotebookExecutionManager

        nb_man = NotebookExecutionManager(nb, output_path=output_path, progress_bar=progress_bar,
                                          log_output=log_output, autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        # papermill rewrites the whole notebook file before and after every cell (half the time of a warm run);
        # here the notebook is written once when it is done, and also when a cell fails.
        save, nb_man.save = nb_man.save, lambda **kwargs: None
        try:
            execute_cells(nb_man)
        finally:
            nb_man.save = save
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb

    @classmethod
    def nb_kernel_name(cls, nb, name=None):
        from papermill.utils import nb_kernel_name

        return nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb, language=None):
        from papermill.utils import nb_language

        return nb_language(nb, language)
