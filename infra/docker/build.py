"""Build homesim's container images with podman (``make images``).

    python infra/docker/build.py                 # base (if missing), homesim and router images
    python infra/docker/build.py --rebuild-base  # make the Debian base image again

1. ``homesim-base:bookworm``: Debian bookworm ``minbase`` made with ``debootstrap`` (no image
   registry is needed) with ``python3``, ``python3-venv`` and CA certificates; docs and apt
   lists removed. Built once, kept in podman's storage.
2. The wheels of each lock (``homesim.lock``, ``router.lock``: exact versions, archive hashes
   checked when downloaded; fetched again only when the lock changes) and of the homesim
   package, into ``out/images/``.
3. ``homesim:VERSION``, ``homesim-device:VERSION`` and ``homesim-router:VERSION`` from
   ``*.Containerfile``, with no network while building: each context holds only its
   Containerfile, wheels and pinned requirements (the device image: the wheels of
   ``device.lock``, a part of ``homesim.lock``'s; the router: its patches, the built UI and the
   bus docs).

Needs root (debootstrap), podman with runc (``containers.conf`` here; see ENVIRONMENT notes in
the README) and, for the router's UI, ``make ui``. Prints each step and its duration.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from lock import DEVICE_FILES_ONLY, canonical, line_name  # noqa: E402

ROOT = HERE.parents[1]
OUT = ROOT / "out" / "images"
BASE = "homesim-base:bookworm"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = "python3,python3-venv,ca-certificates,passwd"


def version() -> str:
    namespace: dict = {}
    exec((ROOT / "services" / "homesim" / "__init__.py").read_text(), namespace)
    return namespace["__version__"]


def podman_env() -> dict[str, str]:
    """The environment podman runs with: this folder's containers.conf (runc, ulimits)."""
    return {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(HERE / "containers.conf"))}


def run(command: list[str], quiet_stderr: bool = False, **kwargs) -> None:
    """Run ``command``; with ``quiet_stderr`` its stderr shows only if it fails (pip's
    warnings about this machine's extra indexes are noise)."""
    if not quiet_stderr:
        subprocess.run(command, check=True, env=podman_env(), **kwargs)
        return
    done = subprocess.run(command, env=podman_env(), stderr=subprocess.PIPE, text=True, **kwargs)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"failed ({done.returncode}): {' '.join(command)}")


def step(title: str):
    """Print a step's title, and its duration when it ends."""
    class Step:
        def __enter__(self):
            self.start = time.monotonic()
            print(f"==> {title}", flush=True)

        def __exit__(self, *exc):
            if exc[0] is None:
                print(f"    done in {time.monotonic() - self.start:.0f} s", flush=True)

    return Step()


def image_exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name], env=podman_env()).returncode == 0


def build_base(mirror: str) -> None:
    if os.geteuid() != 0:
        raise SystemExit("building the base image needs root (debootstrap)")
    with tempfile.TemporaryDirectory(prefix="homesim-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        run(["debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", str(rootfs), mirror],
            stdout=subprocess.DEVNULL)
        for clutter in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
                        "usr/share/info", "usr/share/locale"):
            for child in (rootfs / clutter).glob("*"):
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                elif child.name != "lock":
                    child.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        run(["podman", "import", "--quiet", "--change", "CMD [\"/bin/bash\"]", "-", BASE], stdin=tar.stdout,
            stdout=subprocess.DEVNULL)
        if tar.wait() != 0:
            raise SystemExit("tar of the base root file system failed")


def requirements(lock: Path) -> str:
    """A lock's pins without hashes (the wheels were checked against them when downloaded)."""
    return "".join(line.split()[0] + "\n" for line in lock.read_text().splitlines() if line and not line.startswith("#"))


def wheels(lock: Path, into: Path) -> None:
    """Every package of ``lock`` as a wheel in ``into`` (downloaded with its hash checked, or
    built from its checked source archive); skipped while the lock is the one last fetched,
    so that the image's dependency layer stays cached."""
    stamp = into / ".lock"
    if stamp.exists() and stamp.read_text() == lock.read_text():
        print("    (unchanged lock: wheels kept)")
        return
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    run([sys.executable, "-m", "pip", "--quiet", "wheel", "--no-deps", "--require-hashes", "-r", str(lock),
         "-w", str(into)], quiet_stderr=True)
    stamp.write_text(lock.read_text())


def app_wheel(into: Path) -> None:
    """The homesim package as a wheel, alone in ``into``."""
    if into.exists():
        shutil.rmtree(into)
    had_build = (ROOT / "build").exists()
    run([sys.executable, "-m", "pip", "--quiet", "wheel", "--no-deps", str(ROOT), "-w", str(into)], quiet_stderr=True)
    if not had_build:  # setuptools' scratch folder, left in the source tree
        shutil.rmtree(ROOT / "build", ignore_errors=True)


def wheel_name(path: Path) -> str:
    """The canonical distribution name of a wheel file (``PyYAML-6.0.4-...whl`` -> ``pyyaml``)."""
    return canonical(path.name.split("-")[0])


def context(name: str, lock: Path, extra: dict[str, Path], wheels_of: str | None = None) -> Path:
    """The build context of image ``name``: Containerfile, locked wheels, requirements, the
    homesim wheel (``app``) and ``extra``. Files keep their times: the layer cache holds.
    ``wheels_of``: take the lock's wheels from that image's (a superset), not its own.
    The device image's :data:`lock.DEVICE_FILES_ONLY` go in ``files-only.txt``."""
    ctx = OUT / f"context-{name}"
    if ctx.exists():
        shutil.rmtree(ctx)
    ctx.mkdir(parents=True)
    shutil.copy(HERE / f"{name}.Containerfile", ctx / "Containerfile")
    pinned = requirements(lock).splitlines(keepends=True)
    files_only = {canonical(n) for n in DEVICE_FILES_ONLY} if name == "device" else set()
    (ctx / "requirements.txt").write_text("".join(p for p in pinned if line_name(p) not in files_only))
    if name == "device":
        (ctx / "files-only.txt").write_text("".join(p for p in pinned if line_name(p) in files_only))
    wanted = {line_name(p) for p in pinned}
    (ctx / "wheels").mkdir()
    for wheel in sorted((OUT / f"wheels-{wheels_of or name}").glob("*.whl")):
        if wheel_name(wheel) in wanted:
            shutil.copy2(wheel, ctx / "wheels" / wheel.name)
    missing = wanted - {wheel_name(w) for w in (ctx / "wheels").glob("*.whl")}
    if missing:
        raise SystemExit(f"no wheel of {', '.join(sorted(missing))} for the {name} image: run build.py again")
    shutil.copytree(OUT / "app", ctx / "app")
    for target, source in extra.items():
        if not source.exists():
            raise SystemExit(f"{source} is missing (for the {name} image): run `make ui specs` first")
        (shutil.copytree if source.is_dir() else shutil.copy)(source, ctx / target)
    return ctx


def build_image(name: str, tag: str, ctx: Path) -> None:
    run(["podman", "build", "--quiet", "--format", "docker", "--network", "none", "--build-arg", f"BASE={BASE}",
         "-t", tag, "-f", str(ctx / "Containerfile"), str(ctx)], stdout=subprocess.DEVNULL)


def size_mb(tag: str) -> float:
    out = subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", tag], check=True,
                         capture_output=True, text=True, env=podman_env()).stdout
    return int(out.strip()) / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild-base", action="store_true", help="make the Debian base image again")
    parser.add_argument("--mirror", default=MIRROR, help=f"Debian mirror for debootstrap (default {MIRROR})")
    parser.add_argument("--only", choices=("homesim", "device", "router"), help="build one image only")
    args = parser.parse_args(argv)
    if shutil.which("podman") is None:
        raise SystemExit("podman is not installed: apt-get install podman runc catatonit debootstrap")
    started = time.monotonic()
    if args.rebuild_base or not image_exists(BASE):
        with step(f"base image {BASE} (debootstrap bookworm minbase)"):
            build_base(args.mirror)
    tag = version()
    with step("homesim wheel"):
        app_wheel(OUT / "app")
    images = {
        "homesim": (f"homesim:{tag}", {}),
        "device": (f"homesim-device:{tag}", {}),
        "router": (f"homesim-router:{tag}", {
            "router-patches": ROOT / "infra" / "router",
            "ui": ROOT / "ui" / "dist" / "ui" / "browser",
            "specs": ROOT / "specs" / "html",
        }),
    }
    for name, (image, extra) in images.items():
        if args.only and name != args.only:
            continue
        wheels_of = "homesim" if name == "device" else None  # device.lock is a part of homesim.lock
        with step(f"wheels of {wheels_of or name}.lock"):
            wheels(HERE / f"{wheels_of or name}.lock", OUT / f"wheels-{wheels_of or name}")
        with step(f"image {image}"):
            build_image(name, image, context(name, HERE / f"{name}.lock", extra, wheels_of))
        print(f"    {image}: {size_mb(image):.0f} MB")
    print(f"images built in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
