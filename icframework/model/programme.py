"""A programme folder: `programme.yaml` with the programme's name, default framework, store, build folder, cities
folder and languages. `icf init DIR` makes one; every entry point finds it the same way (`find_programme`).

    name: Inclusive Cities
    framework: inclusive-cities     # a bundled framework, or a YAML file (relative to this folder)
    store: icf.sqlite3              # an SQLite file (relative to this folder) or any SQLAlchemy URL
    build: build                    # where briefs go: build/<round>/<city>/
    cities: cities                  # <slug>/city.yaml, actions.yaml, convenings.yaml
    practices: practices            # good practices of the programme's own (YAML files)
    workbooks: null                 # null: the workbooks icframework carries; or your own folder
    languages: [en]
    contact: "Sam Patel, sam.patel@example.org"   # optional: whom people ask, shown on the form
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from ..errors import NotFoundError, Problem, ValidationError
from .types import Text
from .yamlio import Lines, load_data, pydantic_problems

PROGRAMME_FILE = "programme.yaml"


class Programme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Text
    framework: Text = "inclusive-cities"
    store: Text = "icf.sqlite3"
    build: Text = "build"
    cities: Text = "cities"
    practices: Text = "practices"
    workbooks: Text | None = None
    languages: tuple[Text, ...] = Field(default=("en",), min_length=1)
    contact: Text | None = None  # the facilitator people can ask (a name, an email or phone), shown on the form


def find_programme(start: Path) -> Path | None:
    """The nearest `programme.yaml` in `start` or a folder above it, or None."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / PROGRAMME_FILE).is_file():
            return folder / PROGRAMME_FILE
    return None


def programme_file(given: str | Path) -> Path:
    """A programme named by an option or $ICF_PROGRAMME: its folder or its programme.yaml (must exist)."""
    path = Path(given)
    path = path / PROGRAMME_FILE if path.is_dir() else path
    if not path.is_file():
        raise NotFoundError(f"no programme at {given}: give a folder with a {PROGRAMME_FILE} "
                            "(make one with `icf init DIR`)")
    return path.resolve()


def load_programme(path: Path) -> Programme:
    """Read and validate a programme.yaml; every problem with its line."""
    raw = load_data(path)
    if not isinstance(raw, dict):
        raise ValidationError([Problem(str(path), 1, "a programme file must be a mapping (name:, store:, ...)")])
    try:
        return Programme.model_validate(raw)
    except PydanticError as exc:
        raise ValidationError(pydantic_problems(path, Lines(path), exc),
                              f"{path} is not a valid programme file") from None


PROGRAMME_README = """# {name}

This folder is an icframework programme: the cities taking part, the answer store and the briefs.

- `programme.yaml`: the programme's name, its framework, where the answer store and the briefs are.
- `cities/`: one folder per city (`icf cities add SLUG --name ...` makes one), `convenings.yaml` for the
  meetings where cities come together, and each city's `actions.yaml` plan when it has one.
- `practices/`: good practices of your own (YAML files in the shape of `icf practices show ID`).
- `icf.sqlite3`: the answer store. Keep backups of it; it holds everyone's answers.
- `build/`: the briefs, made by `icf run`.

Run every `icf` command inside this folder (or a folder below it); they all find `programme.yaml` by
themselves. A round of self-assessment, from start to briefs:

    icf rounds create spring-2027 --title "Spring 2027 self-assessment"
    icf respondents add --round spring-2027 --city CITY --sector local-authority --base-url https://forms.example.org
    icf app --host 0.0.0.0                   # the form people open from their links
    icf rounds show spring-2027              # who has answered
    icf rounds close spring-2027             # no more changes
    icf run --round spring-2027              # a PDF and HTML brief per city, and one for the convening
"""


def init_programme(folder: Path, *, name: str | None = None, framework: str | None = None,
                   example: bool = False, build: str = "build") -> Path:
    """Make `folder` a programme folder: programme.yaml, cities/ (the example programme's twelve cities with
    `example`), practices/ and a README. `framework` is a bundled name or a YAML file, copied into
    frameworks/. Refuses a folder that already has a programme.yaml. Returns the programme.yaml path."""
    import shutil

    from ..config import DEFAULT_FRAMEWORK, bundled
    from ..files import atomic_write
    from .framework import bundled_names, parse_framework

    folder = Path(folder)
    if (folder / PROGRAMME_FILE).exists():
        raise ValidationError([Problem(str(folder / PROGRAMME_FILE), None, "this folder is a programme already; "
                                       "choose another folder, or edit its programme.yaml")])
    framework = framework or DEFAULT_FRAMEWORK
    if framework not in bundled_names():
        source = Path(framework)
        if not source.is_file():
            raise NotFoundError(f"framework {framework!r} not found: bundled frameworks are "
                                f"{', '.join(bundled_names())}, or give the path of a YAML file")
        parse_framework(source)  # every problem with file and line, before anything is written
        (folder / "frameworks").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / "frameworks" / source.name)
        framework = f"frameworks/{source.name}"
    folder.mkdir(parents=True, exist_ok=True)
    if example:
        shutil.copytree(bundled("cities"), folder / "cities", dirs_exist_ok=True)
    else:
        (folder / "cities").mkdir(exist_ok=True)
        if not (folder / "cities" / "convenings.yaml").exists():
            atomic_write(folder / "cities" / "convenings.yaml", b"# The programme's convenings (id, title, city, "
                         b"date, phase, note); see `icf cities convenings`.\nconvenings: []\n")
    (folder / "practices").mkdir(exist_ok=True)
    name = name or folder.resolve().name.replace("-", " ").replace("_", " ").capitalize()
    text = (f"# An icframework programme (see README.md). Paths are relative to this file.\n"
            f"name: {_quoted(name)}\n"
            f"framework: {_quoted(framework)}    # a bundled framework, or a YAML file\n"
            "store: icf.sqlite3                  # an SQLite file, or any SQLAlchemy URL (postgresql://...)\n"
            f"build: {_quoted(build)}                        # briefs: <build>/<round>/<city>/\n"
            "cities: cities\n"
            "practices: practices\n"
            "languages: [en]\n"
            "# contact: \"Your name, you@example.org\"   # whom people ask; shown on the form\n")
    atomic_write(folder / ".gitignore", b"icf.sqlite3*\nbuild/\n")
    atomic_write(folder / "README.md", PROGRAMME_README.format(name=name).encode())
    atomic_write(folder / PROGRAMME_FILE, text.encode())
    load_programme(folder / PROGRAMME_FILE)  # what was written reads back
    return folder / PROGRAMME_FILE


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (names may hold colons, quotes or accents)."""
    import json

    return json.dumps(text, ensure_ascii=False)
