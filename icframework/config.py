"""Where things are: the files the package carries, and the settings of one run, built once at the edges.

**Bundled files.** The package carries its frameworks, scale and practice library (`icframework/data/`) and,
from the repository's top-level folders, the workbooks, the brief templates and the example programme (the
twelve cities with their synthetic demo plans). The wheel holds those three under `icframework/_bundled/`
(pyproject.toml maps them in); a source checkout reads the top-level folders themselves, so there is one copy
in the repository. `bundled("workbooks")` is the one place that knows this.

**Settings.** Which programme, store, cities folder, workbooks and build folder a run uses are decided once,
where the run starts (the `icf` command, a workbook's parameters, the Voilà kernel), by
`Settings.from_environment`, and passed down. Nothing below those edges reads the environment or the working
directory; a library function given no cities folder uses the bundled example programme.

The programme is found the same way by every entry point: an explicit option, else $ICF_PROGRAMME, else the
nearest `programme.yaml` in the working folder or above it. An option or an environment variable
($ICF_STORE_URL, $ICF_CITIES, $ICF_WORKBOOKS) overrides what the programme file says.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import ICFError, NotFoundError
from .model.programme import PROGRAMME_FILE, find_programme, load_programme, programme_file

BUNDLED = ("workbooks", "templates", "cities")
DEFAULT_FRAMEWORK = "inclusive-cities"


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

    store_url: str | None  # SQLAlchemy URL of the answer store (SQLite paths absolute); None: no store named
    cities: Path  # the programme's cities folder: <slug>/city.yaml, actions.yaml, convenings.yaml, practices
    workbooks: Path  # city_diagnostic.ipynb, convening_brief.ipynb, self_assessment.ipynb
    build: Path | str  # where `icf run` writes <round>/<city>/: a folder, or an fsspec URL (s3://...)
    framework: str = DEFAULT_FRAMEWORK  # the framework of new rounds: a bundled name or an absolute file path
    programme: Path | None = None  # the programme folder (where programme.yaml is), when there is one
    practices: Path | None = None  # the programme's own good practices (a folder of YAML files), when it has one
    name: str = "Example programme"
    languages: tuple[str, ...] = ("en",)
    contact: str | None = None  # whom people ask about the form (programme.yaml `contact:`, or $ICF_CONTACT)

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None, cwd: str | Path | None = None, *,
                         programme: str | Path | None = None, store_url: str | None = None,
                         cities: str | Path | None = None, workbooks: str | Path | None = None,
                         build: str | Path | None = None) -> Settings:
        """Settings from explicit values, else the environment, else the programme file, else the defaults:

        - programme: `programme`, else $ICF_PROGRAMME, else the nearest programme.yaml from `cwd` upwards;
        - store: `store_url`, else $ICF_STORE_URL, else the programme's `store`, else none (commands that need
          one say how to make it);
        - cities: `cities`, else $ICF_CITIES, else the programme's `cities`, else the example programme;
        - workbooks: `workbooks`, else $ICF_WORKBOOKS, else the programme's, else the bundled ones;
        - build: `build`, else the programme's `build`, else `./build`;
        - contact (shown on the form): $ICF_CONTACT, else the programme's `contact`.
        """
        env = os.environ if env is None else env
        here = Path(cwd) if cwd is not None else Path.cwd()
        given = programme or env.get("ICF_PROGRAMME")
        path = programme_file(here / given) if given else find_programme(here)
        prog = load_programme(path) if path else None
        home = path.parent if path else here

        def first(option, var: str | None, from_programme, base: Path) -> Path | None:
            if option:
                return (here / option).resolve()
            if var and env.get(var):
                return (here / env[var]).resolve()
            return (base / from_programme).resolve() if from_programme else None

        url = store_url or env.get("ICF_STORE_URL")
        base = here
        if not url and prog:
            url, base = prog.store, home
        if url and "://" not in url:
            url = sqlite_url(base / url)  # a plain path in programme.yaml, --store or $ICF_STORE_URL
        elif url and url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = sqlite_url(base / url.removeprefix("sqlite:///"))
        framework = prog.framework if prog else DEFAULT_FRAMEWORK
        if prog and Path(framework).suffix in (".yaml", ".yml"):
            framework = str((home / framework).resolve())
        return cls(
            store_url=url,
            cities=first(cities, "ICF_CITIES", prog and prog.cities, home) or bundled("cities"),
            workbooks=first(workbooks, "ICF_WORKBOOKS", prog and prog.workbooks, home) or bundled("workbooks"),
            build=_build(build, here, prog and prog.build, home),
            framework=framework, programme=home if prog else None,
            practices=(home / prog.practices).resolve() if prog and (home / prog.practices).is_dir() else None,
            name=prog.name if prog else cls.name, languages=prog.languages if prog else cls.languages,
            contact=env.get("ICF_CONTACT") or (prog.contact if prog else None))

    @property
    def extra_practices(self) -> list[Path]:
        """The practice files of the programme, beside the bundled library and the cities folder's own (none while
        its practices/ folder is empty)."""
        return [self.practices] if self.practices and any(self.practices.glob("*.y*ml")) else []

    @property
    def locale(self) -> tuple[Path, ...]:
        """The programme's own catalogues (`<programme>/locale/<lang>/LC_MESSAGES/icframework.po`), which win
        over the bundled ones (icframework.i18n); none without a programme or its locale/ folder."""
        folder = self.programme / "locale" if self.programme else None
        return (folder,) if folder and folder.is_dir() else ()

    def local_build(self) -> Path:
        """The build folder, for commands that write only locally (`icf brief`)."""
        if isinstance(self.build, str):
            raise ICFError(f"this command writes into a local folder, not {self.build}: give --out DIR")
        return self.build

    def store_path(self) -> Path | None:
        """The SQLite file of the store, or None for a server database."""
        if self.store_url and self.store_url.startswith("sqlite:///"):
            return Path(self.store_url.removeprefix("sqlite:///"))
        return None

    def open_store(self, *, create: bool = False):
        """The answer store. A store that does not exist (an SQLite file that is not there, a database without the
        tables) is an error saying what was looked for and how to make it, unless `create` (the commands that
        make a store on purpose: `icf init`, `icf store create`, `icf demo-data`, `icf demo`), which then makes
        the schema by running the migrations. A store of an older schema names `icf store upgrade`."""
        from .store import Store

        if not self.store_url:
            where = (f"{self.programme / PROGRAMME_FILE} names none" if self.programme
                     else f"no {PROGRAMME_FILE} in {Path.cwd()} or a folder above it")
            raise NotFoundError(f"no answer store is named ({where}): make a programme with `icf init DIR` (or "
                                "`icf demo`) and run commands inside it, or give --store URL / $ICF_STORE_URL")
        path = self.store_path()
        if path and not create and not path.is_file():
            source = f"set in {self.programme / PROGRAMME_FILE}" if self.programme else "given by --store or " \
                "$ICF_STORE_URL"
            raise NotFoundError(f"no answer store at {path} ({source}): create it with `icf store create`, or "
                                "fill it with synthetic demo data with `icf demo-data`")
        return Store(self.store_url, create=create)

    def workbook(self, name: str) -> Path:
        """A workbook of this run by file name; a clear error when it is not there."""
        path = self.workbooks / name
        if not path.is_file():
            raise ICFError(f"workbook {path} not found: give --notebook, set $ICF_WORKBOOKS, or leave both out to "
                           "use the workbooks icframework carries")
        return path

    def as_environment(self) -> dict[str, str]:
        """The variables that give a child process (a Voilà kernel) these settings."""
        env = {"ICF_CITIES": str(self.cities), "ICF_WORKBOOKS": str(self.workbooks)}
        if self.programme:
            env["ICF_PROGRAMME"] = str(self.programme)
        if self.store_url:
            env["ICF_STORE_URL"] = self.store_url
        if self.contact:
            env["ICF_CONTACT"] = self.contact
        return env


def _build(option, here: Path, from_programme, home: Path) -> Path | str:
    """The build location: the option, else the programme's, else ./build; a URL (s3://...) stays as it is."""
    for value, root in ((option, here), (from_programme, home)):
        if value:
            return str(value) if "://" in str(value) else (root / value).resolve()
    return (here / "build").resolve()
