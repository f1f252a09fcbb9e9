"""Binder: the files repo2docker reads, and every notebook executed in a fresh environment made from them.

There is no Docker here, so the slow test builds what a Binder image holds without it: a new
virtual environment of binder/runtime.txt's Python, ``pip install -r binder/requirements.txt``,
then binder/postBuild (the project, editable beside model/), a registered ``python3`` kernel, and
no Tiny ImageNet data (Binder has none). In it nbclient executes every chapter (book/*.md,
read by jupytext as Binder's JupyterLab opens them) and every homework notebook
(notebooks/*.ipynb), two at a time. It runs on a copy of the files git would commit, so a
file that only exists on this machine cannot make it pass. Each notebook's time is written to
test-artifacts/binder/times.txt.

The quick tests keep the pins from drifting: they must equal the versions this environment was
built and tested with (`make install` installs binder/requirements.txt) and what
binder/pin_requirements.py derives from them (`make binder-pins`); and repo2docker
``--no-build`` (no Docker needed) must pick up runtime.txt, requirements.txt and postBuild.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import jupytext
import pytest
import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
ARTIFACTS = REPO / "test-artifacts" / "binder"
#: Hang guards only: a pip install, and one notebook (a healthy chapter takes well under a minute).
INSTALL_TIMEOUT = 1800
NOTEBOOK_TIMEOUT = 1200
#: Two notebooks at a time: each kernel spends much of its time in single-threaded Python.
WORKERS = 2

#: Run by the fresh environment's Python: executes one notebook, prints its time and kernel as JSON.
DRIVER = """\
import json, sys, time
from pathlib import Path

import jupytext
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

path = Path(sys.argv[1])
notebook = jupytext.read(path)
kernel = notebook.metadata["kernelspec"]["name"]
spec = KernelSpecManager().get_kernel_spec(kernel)
start = time.perf_counter()
# "immediate": once the last cell has run, a graceful shutdown only waits on TensorFlow's threads (about 3 s).
client = NotebookClient(notebook, timeout=600, shutdown_kernel="immediate",
                        resources={"metadata": {"path": str(path.parent)}})
client.execute()
print(json.dumps({"seconds": time.perf_counter() - start, "kernel": kernel, "python": spec.argv[0]}))
"""


def _pins() -> dict[str, str]:
    """Name -> version of every line of binder/requirements.txt."""
    pins = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"not an exact pin: {line}"
            pins[requirement.name] = specifier.version
    return pins


def test_runtime_is_the_python_the_pins_were_made_with():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-{}.{}".format(*sys.version_info[:2])


def test_pins_are_the_versions_the_book_is_built_and_tested_with():
    pins = _pins()
    assert {"tensorflow-cpu", "keras", "bokeh", "jupytext", "otter-grader", "myst-nb", "ipykernel"} <= {
        name.lower().replace("_", "-") for name in pins
    }
    installed = {}
    for name in pins:
        try:
            installed[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed[name] = None
    differ = {name: (pinned, installed[name]) for name, pinned in pins.items() if installed[name] != pinned}
    assert not differ, f"binder pins (pinned, installed) differ from this environment; run `make install`: {differ}"


def test_pins_are_what_pin_requirements_derives_from_this_environment():
    spec = importlib.util.spec_from_file_location("pin_requirements", BINDER / "pin_requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (BINDER / "requirements.txt").read_text() == module.render(), (
        "binder/requirements.txt is out of date (a dependency was added or upgraded): run `make binder-pins`"
    )


def test_postbuild_is_executable_in_git():
    """repo2docker runs binder/postBuild as a program; git keeps the executable bit."""
    entry = subprocess.run(["git", "ls-files", "--stage", "binder/postBuild"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout
    assert entry.startswith("100755 "), f"binder/postBuild is not committed as executable: {entry!r}"


def test_repo2docker_picks_up_the_binder_files():
    """``--no-build`` writes the Dockerfile it would build (no Docker daemon needed); mybinder.org's user."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("repo2docker")), "--no-build", "--debug", "--user-id", "1000",
         "--user-name", "jovyan", str(REPO)],
        capture_output=True, text=True, timeout=300,
    )
    report = result.stdout + result.stderr
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "repo2docker.txt").write_text(report)
    assert result.returncode == 0, report
    version = "{}.{}".format(*sys.version_info[:2])
    assert f"Building conda environment for python={version}" in report
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in report
    assert "RUN ./binder/postBuild" in report


# ---------------------------------------------------------------------------
# The fresh environment
# ---------------------------------------------------------------------------


def _committable_files() -> list[str]:
    """What git would commit: tracked files and new ones not ignored (the homework may be uncommitted yet)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (REPO / name).is_file()]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, **kwargs)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the repository with a fresh environment built as repo2docker builds Binder's image."""
    root = tmp_path_factory.mktemp("binder")
    repo, venv, home = root / "repo", root / "venv", root / "home"
    for name in _committable_files():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, repo / name)
    home.mkdir()
    # Like Binder: no data set, nothing of this machine's Jupyter or Python set-up, the environment first on PATH.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CNN_EXPLAINER", "EXPLAINER_", "JUPYTER", "PYTHON", "VIRTUAL_ENV", "IPYTHON"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    python = str(venv / "bin" / "python")
    times = {}

    start = time.perf_counter()
    _run([sys.executable, "-m", "venv", str(venv)])
    # pip keeps this machine's own configuration (index, cache) for the installs: only the kernels get the bare HOME.
    # --no-compile: the kernels' first imports compile what they use, cheaper than all of TensorFlow at install.
    pip_env = {**env, "HOME": os.environ.get("HOME", str(home))}
    pip_env.pop("XDG_CACHE_HOME")
    if "XDG_CACHE_HOME" in os.environ:
        pip_env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    _run([python, "-m", "pip", "install", "--quiet", "--no-compile", "-r", "binder/requirements.txt"], cwd=repo,
         env=pip_env)
    times["pip install -r binder/requirements.txt"] = time.perf_counter() - start

    start = time.perf_counter()
    _run([str(repo / "binder" / "postBuild")], cwd=repo, env={**pip_env, "HOME": str(home)})
    _run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], cwd=repo, env=env)
    times["binder/postBuild and the kernel"] = time.perf_counter() - start
    return {"repo": repo, "venv": venv, "home": home, "env": env, "python": python, "times": times}


def _execute(binder_env: dict, notebook: Path) -> dict:
    """Execute one notebook in the fresh environment: its time and kernel, or its error."""
    result = subprocess.run([binder_env["python"], "-c", DRIVER, str(notebook)], cwd=notebook.parent,
                            env=binder_env["env"], capture_output=True, text=True, timeout=NOTEBOOK_TIMEOUT)
    if result.returncode != 0:
        return {"error": result.stderr[-4000:]}
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_chapter_and_homework_notebook_runs_in_a_fresh_binder_environment(binder_env):
    repo, venv = binder_env["repo"], binder_env["venv"]
    # postBuild installed the project from the copy and made a chapter open as a notebook.
    found = subprocess.run([binder_env["python"], "-c", "import explainer_core; print(explainer_core.__file__)"],
                           cwd=binder_env["home"], env=binder_env["env"], capture_output=True, text=True,
                           check=True).stdout
    assert Path(found.strip()).is_relative_to(repo)
    viewers = binder_env["home"] / ".jupyter" / "labconfig" / "default_setting_overrides.json"
    assert json.loads(viewers.read_text())["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["myst"] == (
        "Jupytext Notebook"
    )

    # The chapters are MyST Markdown notebooks (a kernelspec in their front matter); intro.md is a plain page.
    chapters = [path for path in sorted((repo / "book").glob("*.md")) if "kernelspec" in jupytext.read(path).metadata]
    homework = sorted((repo / "notebooks").glob("*.ipynb"))
    toc = yaml.safe_load((repo / "_toc.yml").read_text())
    listed = {repo / f"{entry['file']}.md" for part in toc["parts"] for entry in part["chapters"]}
    assert listed <= set(chapters), f"chapters in _toc.yml that are not notebooks: {listed - set(chapters)}"
    assert homework, "no homework notebook in notebooks/*.ipynb"
    notebooks = chapters + homework

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = dict(zip(notebooks, pool.map(lambda nb: _execute(binder_env, nb), notebooks), strict=True))
    wall = time.perf_counter() - start

    lines = [f"{seconds:7.1f} s  {step}" for step, seconds in binder_env["times"].items()]
    lines += [f"{result['seconds']:7.1f} s  {path.relative_to(repo)}" if "seconds" in result
              else f"  error    {path.relative_to(repo)}" for path, result in results.items()]
    lines.append(f"{wall:7.1f} s  all {len(notebooks)} notebooks, {WORKERS} at a time (wall clock)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "times.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))

    failed = {str(path.relative_to(repo)): result["error"] for path, result in results.items() if "error" in result}
    assert not failed, "notebooks that fail in the Binder environment:\n" + "\n\n".join(
        f"--- {name}\n{error}" for name, error in failed.items())
    for path, result in results.items():
        assert Path(result["python"]).is_relative_to(venv), f"{path.name} ran on {result['python']}, not the fresh env"
