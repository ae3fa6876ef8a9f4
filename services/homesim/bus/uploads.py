"""History files uploaded over the bus in chunks (``history.upload``), kept on the machine running
the home's planner under ``$HOMESIM_LIVE_DIR/imports/``; and an import's result (the calibrated
home and its files) kept beside them for ``history.adopt``. No bus I/O: a refused chunk raises
:class:`UploadError` naming the field, the bad value and what is allowed.

A WAMP message through the home's router holds at most 16 MiB (Crossbar's default
``max_message_size`` for a WebSocket transport; ``homesim.bus.router`` sets none), so the UI sends
a file in chunks of at most :data:`homesim.messages.MAX_UPLOAD_CHUNK` characters, each at the
offset it expects; a file may hold :data:`homesim.messages.MAX_UPLOAD_BYTES` in all.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from homesim.messages import MAX_UPLOAD_BYTES, MAX_UPLOAD_CHUNK, HistoryUpload

#: A file name as uploaded: no folders, letters, digits, dot, dash, underscore, space, parentheses.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ ()-]{0,119}$")
#: Upload and job ids (what :func:`secrets.token_hex` gives).
ID = re.compile(r"^[0-9a-f]{16}$")
#: Files a history may be uploaded as.
SUFFIXES = (".csv", ".txt", ".tsv", ".json")


class UploadError(ValueError):
    """A refused chunk, upload id or job: the message names the field and what is allowed."""


class Uploads:
    """The uploads and import jobs of one home, each a folder under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def append(self, request: HistoryUpload) -> dict[str, Any]:
        """Append one chunk; the first (``upload`` null) opens a new upload. Returns its id and size."""
        name = request.name
        if not NAME.match(name) or not name.lower().endswith(SUFFIXES):
            raise UploadError(f"name: {name!r} is not allowed: a file name without folders, ending "
                              f"{', '.join(SUFFIXES)}")
        if len(request.text) > MAX_UPLOAD_CHUNK:
            raise UploadError(f"text: a chunk of {len(request.text):,} characters is not allowed: send at most "
                              f"{MAX_UPLOAD_CHUNK:,} a chunk")
        data = request.text.encode("utf-8")
        if request.upload is None:
            if request.offset != 0:
                raise UploadError(f"offset: {request.offset} is not allowed: a new upload starts at 0")
            upload = secrets.token_hex(8)
            folder = self.root / "uploads" / upload
            folder.mkdir(parents=True)
            (folder / "name").write_text(name)
            path = folder / "data"
            path.write_bytes(b"")
        else:
            path = self.path(request.upload)
            upload = request.upload
            if (path.parent / "name").read_text() != name:
                raise UploadError(f"name: {name!r} is not allowed: upload {upload} is "
                                  f"{(path.parent / 'name').read_text()!r}")
        size = path.stat().st_size
        if request.offset != size:
            raise UploadError(f"offset: {request.offset} is not allowed: upload {upload} holds {size} bytes; send the "
                              f"chunk that starts there")
        if size + len(data) > MAX_UPLOAD_BYTES:
            raise UploadError(f"{name}: {size + len(data):,} bytes is not allowed: a history file may have at most "
                              f"{MAX_UPLOAD_BYTES:,} bytes (split it by months and upload the parts)")
        with path.open("ab") as out:
            out.write(data)
        return {"upload": upload, "name": name, "bytes": size + len(data)}

    def path(self, upload: str) -> Path:
        """The uploaded file of ``upload`` (its bytes as sent)."""
        folder = self.root / "uploads" / upload if ID.match(upload or "") else None
        if folder is None or not (folder / "data").exists():
            raise UploadError(f"upload: {upload!r} is not allowed: no such upload (upload the file again)")
        return folder / "data"

    def named(self, upload: str) -> Path:
        """The uploaded file under its own name (readers name it in their messages; a link to the data)."""
        data = self.path(upload)
        name = (data.parent / "name").read_text()
        named = data.parent / "file" / name
        if not named.exists():
            named.parent.mkdir(exist_ok=True)
            named.symlink_to(data)
        return named

    def new_folder(self, kind: str) -> Path:
        """A new empty folder under ``kind`` (an import's run)."""
        folder = self.root / kind / secrets.token_hex(8)
        folder.mkdir(parents=True)
        return folder

    # --- import jobs ------------------------------------------------------------------------

    def save_job(self, home: dict[str, Any], files: dict[str, str], result: dict[str, Any]) -> tuple[str, Path]:
        """Write a calibrated home (its files beside it, their paths in the home made absolute, so
        that a live device finds them wherever the home's own folder is) and the import's result.
        Returns the job id and the home file."""
        job = secrets.token_hex(8)
        folder = self.root / "jobs" / job
        folder.mkdir(parents=True)
        written: dict[str, str] = {}
        for relative, text in files.items():
            parts = PurePosixPath(relative)
            if parts.is_absolute() or ".." in parts.parts:
                raise UploadError(f"files: {relative!r} is not a path inside the home's folder")
            target = folder / parts
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written[relative] = str(target)
        home = _with_paths(home, written)
        home_file = folder / "home.yaml"
        home_file.write_text("# The calibrated home of a history imported in the UI (homesim history.import)\n"
                             + yaml.safe_dump(home, sort_keys=False, allow_unicode=True))
        (folder / "result.json").write_text(json.dumps({**result, "home": home, "home_file": str(home_file)}))
        return job, home_file

    def job(self, job: str) -> dict[str, Any]:
        """An import's saved result (its ``home`` with absolute file paths, ``home_file``)."""
        path = self.root / "jobs" / job / "result.json" if ID.match(job or "") else None
        if path is None or not path.exists():
            raise UploadError(f"job: {job!r} is not allowed: no such import (run the import again)")
        return json.loads(path.read_text())


def _with_paths(value: Any, written: dict[str, str]) -> Any:
    """``value`` with every string naming a written file replaced by its absolute path."""
    if isinstance(value, dict):
        return {k: _with_paths(v, written) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_paths(v, written) for v in value]
    if isinstance(value, str) and value in written:
        return written[value]
    return value
