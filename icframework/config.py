"""Where things are: the files the package carries, and the settings of one run, built once at the edges.

**Bundled files.** The package carries its frameworks, scale and practice library (`icframework/data/`) and,
from the repository's top-level folders, the workbooks, the brief templates and the example programme (the
twelve cities with their synthetic demo plans). The wheel holds those three under `icframework/_bundled/`
(pyproject.toml maps them in); a source checkout reads the top-level folders themselves, so there is one copy
in the repository. `bundled("workbooks")` is the one place that knows this.

**Settings.** Which store, which cities folder, which workbooks and which build folder a run uses are decided
once, where the run starts (the `icf` command, a workbook's parameters, the Voilà kernel), by
`Settings.from_environment`, and passed down. Nothing below those edges reads the environment or the working
directory; a library function given no cities folder uses the bundled example programme.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ICFError

BUNDLED = ("workbooks", "templates", "cities")
STORE_FILE = "icf.sqlite3"


def package_dir() -> Path:
    """The installed package's folder (a real folder: icframework is not zip-safe)."""
    return Path(str(resources.files("icframework")))


def data_dir() -> Path:
    """The bundled frameworks, scales and practice library."""
    return package_dir() / "data"


def bundled(name: str) -> Path:
    """A folder the package carries: "workbooks", "templates" or "cities" (the example programme).

    Installed from a wheel: `icframework/_bundled/<name>`. In a source checkout (an editable install), the
    repository's top-level `<name>/`, which is what the wheel is built from.
    """
    if name not in BUNDLED:
        raise ValueError(f"unknown bundled folder {name!r}; one of {', '.join(BUNDLED)}")
    installed = package_dir() / "_bundled" / name
    if installed.is_dir():
        return installed
    checkout = package_dir().parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return checkout / name
    raise ICFError(f"icframework's {name}/ folder is missing (looked in {installed}): reinstall icframework")


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of an SQLite file, with an absolute path (kernels and workers run elsewhere)."""
    return f"sqlite:///{Path(path).resolve()}"


@dataclass(frozen=True)
class Settings:
    """What one run uses. Build it with `Settings.from_environment` at an edge, then pass it down."""

    store_url: str  # SQLAlchemy URL of the answer store (SQLite paths absolute)
    cities: Path  # the programme's cities folder: <slug>/city.yaml, actions.yaml, convenings.yaml, practices
    workbooks: Path  # city_diagnostic.ipynb, convening_brief.ipynb, self_assessment.ipynb
    build: Path  # where `icf run` and `icf brief` write build/<round>/<city>/

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None, cwd: str | Path | None = None, *,
                         store_url: str | None = None, cities: str | Path | None = None,
                         workbooks: str | Path | None = None, build: str | Path | None = None) -> Settings:
        """Settings from explicit values, else the environment, else the working folder, else the bundled
        example programme:

        - store: `store_url`, else $ICF_STORE_URL, else `icf.sqlite3` in the working folder;
        - cities: `cities`, else $ICF_CITIES, else `./cities` when it exists, else the example programme;
        - workbooks: `workbooks`, else $ICF_WORKBOOKS, else `./workbooks` when it exists, else the bundled ones;
        - build: `build`, else `./build`.
        """
        env = os.environ if env is None else env
        here = Path(cwd) if cwd is not None else Path.cwd()

        def folder(given, var: str, name: str) -> Path:
            if given:
                return (here / given).resolve()
            if env.get(var):
                return (here / env[var]).resolve()
            local = here / name
            return local.resolve() if local.is_dir() else bundled(name)

        url = store_url or env.get("ICF_STORE_URL") or sqlite_url(here / STORE_FILE)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = sqlite_url(here / url.removeprefix("sqlite:///"))
        return cls(store_url=url, cities=folder(cities, "ICF_CITIES", "cities"),
                   workbooks=folder(workbooks, "ICF_WORKBOOKS", "workbooks"),
                   build=(here / (build or "build")).resolve())

    def workbook(self, name: str) -> Path:
        """A workbook of this run by file name; a clear error when it is not there."""
        path = self.workbooks / name
        if not path.is_file():
            raise ICFError(f"workbook {path} not found: give --notebook, set $ICF_WORKBOOKS, or leave both out to "
                           "use the workbooks icframework carries")
        return path

    def as_environment(self) -> dict[str, str]:
        """The variables that give a child process (a Voilà kernel) these settings."""
        return {"ICF_STORE_URL": self.store_url, "ICF_CITIES": str(self.cities), "ICF_WORKBOOKS": str(self.workbooks)}
