"""Where a batch's files go: a local (or shared) folder, or any filesystem fsspec reaches by URL (`s3://...`,
`gcs://...`, `file://...`), so workers on other machines need no shared mount.

A local folder keeps the rules of execute.py: files are staged beside their final place and moved in with
`os.replace`. A URL is staged in a local temporary folder and uploaded file by file, each under a temporary name
and then moved to its final name (an object store's upload is whole or nothing anyway); the manifest is written
last, so a city whose upload was cut short runs again next time.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def is_url(location: str | Path) -> bool:
    return "://" in str(location)


def join(base: str | Path, *parts: str) -> str:
    """`base/part/...` for a folder or a URL."""
    if is_url(base):
        return "/".join([str(base).rstrip("/"), *parts])
    return str(Path(base).joinpath(*parts))


def _fs(url: str):
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        from ..errors import ICFError

        raise ICFError("writing briefs to a URL needs fsspec: pip install 'icframework[dask]'") from None
    return url_to_fs(url)


def read_bytes(location: str, name: str) -> bytes | None:
    """The file `name` of a folder or URL, or None when it is not there."""
    if not is_url(location):
        path = Path(location) / name
        return path.read_bytes() if path.is_file() else None
    fs, path = _fs(location)
    try:
        return fs.cat_file(f"{path}/{name}")
    except FileNotFoundError:
        return None


def exists(location: str, name: str) -> bool:
    if not is_url(location):
        return (Path(location) / name).exists()
    fs, path = _fs(location)
    return fs.exists(f"{path}/{name}")


def staging_folder(location: str) -> Path:
    """A fresh staging folder: beside the outputs for a local folder, a temporary one for a URL."""
    if is_url(location):
        return Path(tempfile.mkdtemp(prefix=".staging-"))
    Path(location).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=location))


def remove(location: str, name: str) -> None:
    if not is_url(location):
        (Path(location) / name).unlink(missing_ok=True)
        return
    fs, path = _fs(location)
    if fs.exists(f"{path}/{name}"):
        fs.rm_file(f"{path}/{name}")


def put(source: Path, location: str, name: str) -> None:
    """Place the local file `source` as `name` in the folder or URL, whole or not at all."""
    if not is_url(location):
        target = Path(location) / name
        if source.is_dir() and target.is_dir():
            shutil.rmtree(target)
        source.replace(target)
        return
    fs, path = _fs(location)
    fs.makedirs(path, exist_ok=True)
    part = f"{path}/.{name}.part"
    if source.is_dir():
        fs.put(str(source), f"{path}/{name}", recursive=True)
        return
    fs.put_file(str(source), part)
    fs.mv(part, f"{path}/{name}")


def write_bytes(location: str, name: str, data: bytes) -> None:
    """Write `data` as `name` in the folder or URL, whole or not at all."""
    if not is_url(location):
        from ..files import atomic_write

        atomic_write(Path(location) / name, data)
        return
    with tempfile.NamedTemporaryFile(delete=False) as fh:
        fh.write(data)
    try:
        put(Path(fh.name), location, name)
    finally:
        Path(fh.name).unlink(missing_ok=True)
