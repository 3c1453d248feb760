"""The documentation's examples run: every ```python block of README.md and docs/**/*.md, and
the doctests in every module of the headrace package (subpackages included). The site builds
from docs/ with `mkdocs build --strict`."""

from __future__ import annotations

import doctest
import importlib
import linecache
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import headrace

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<info>[^\n`]*)$")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, code) of every fenced block whose info string is ``python``."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        language = match["info"].strip().split(" ")[0].lower()
        body = []
        start = i + 1
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        i += 1  # the closing fence
        if language in ("python", "py"):
            blocks.append((start + 1, "\n".join(body) + "\n"))
    return blocks


def test_block_extraction() -> None:
    text = "intro\n```python\nx = 1\n```\n\n```text\nnot code\n```\n```python\ny = x + 1\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n"), (10, "y = x + 1\n")]


# Files without python blocks (architecture.md, building.md) have nothing to run.
EXAMPLES = [p for p in DOCS if python_blocks(p.read_text(encoding="utf-8"))]


def test_user_docs_have_examples() -> None:
    assert {ROOT / "README.md", ROOT / "docs" / "pipeline.md"} <= set(EXAMPLES)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.relative_to(ROOT).as_posix() for p in EXAMPLES])
def test_markdown_examples(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    # Not "__main__": worker processes (processes=True) must not re-run this module.
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    rel = path.relative_to(ROOT).as_posix()
    for line, code in python_blocks(path.read_text(encoding="utf-8")):
        filename = f"{rel}:{line}"
        # Tracebacks show the block's source lines (line numbers count from the block).
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        # dont_inherit: the examples run without this module's `from __future__ import annotations`.
        exec(compile(code, filename, "exec", dont_inherit=True), namespace)  # noqa: S102


def _package_modules() -> list[str]:
    """headrace and every module below it: doctests in headrace.ml._scaler and the like are
    not found through headrace.ml (doctest skips objects defined in another module)."""
    names = ["headrace"]
    for info in pkgutil.walk_packages(headrace.__path__, "headrace."):
        if info.name != "headrace._core":
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _package_modules())
def test_module_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctests in {name} failed"


def test_the_package_has_doctests() -> None:
    attempted = 0
    for name in _package_modules():
        finder = doctest.DocTestFinder()
        attempted += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert attempted >= 5


def test_readme_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install . && python -m headrace demo" in readme
    assert "pip install '.[test]' && python -m pytest" in readme


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors of a markdown file (enough for plain headings)."""
    anchors = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            title = line.lstrip("#").strip().lower().replace("`", "")
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_links_resolve() -> None:
    link = re.compile(r"\]\((?!https?://)([^)#\s]*)(?:#([^)\s]*))?\)")
    broken = []
    for path in DOCS:
        for target, anchor in link.findall(path.read_text(encoding="utf-8")):
            file = path.parent / target if target else path
            if not file.exists():
                broken.append(f"{path.relative_to(ROOT)} -> {target}")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{path.relative_to(ROOT)} -> {target}#{anchor}")
    assert not broken, broken


# ---- the documentation site (mkdocs.yml): API reference pages and a strict build ----------

API_PAGES = sorted((ROOT / "docs" / "api").glob("*.md"))
_DIRECTIVE = re.compile(r"^::: ([\w.]+)$", re.MULTILINE)


def _api_directives() -> set[str]:
    return {name for page in API_PAGES for name in _DIRECTIVE.findall(page.read_text(encoding="utf-8"))}


def _public_names() -> list[str]:
    """The dotted names of the public API: headrace.__all__, headrace.io's and headrace.ml's."""
    names = []
    for module in (headrace, headrace.io, headrace.ml):
        names += [f"{module.__name__}.{name}" for name in module.__all__ if name not in ("io", "ml")]
    return names


def test_api_pages_document_the_public_api() -> None:
    directives = _api_directives()
    for name in directives:  # each names something that exists
        module, _, attribute = name.rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), name
    # headrace.io and headrace.ml are documented whole; every other public name on its own.
    missing = [name for name in _public_names()
               if name not in directives and name.rpartition(".")[0] not in directives]
    assert not missing, f"not in docs/api/*.md: {missing}"


def _mkdocs_missing() -> str | None:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        try:
            importlib.import_module(module)
        except ImportError:
            return f"{module} is not installed (pip install '.[docs]')"
    return None


_MKDOCS_MISSING = _mkdocs_missing()


@pytest.mark.timeout(300)
@pytest.mark.skipif(_MKDOCS_MISSING is not None, reason=str(_MKDOCS_MISSING))
def test_site_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's notice about MkDocs 2
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=280,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Every public name has its entry (an HTML id) in the generated API reference.
    ids = set()
    for page in (site / "api").glob("*/index.html"):
        ids |= set(re.findall(r'id="([\w.]+)"', page.read_text(encoding="utf-8")))
    missing = [name for name in _public_names() if name not in ids]
    assert not missing, f"no entry in the built API reference: {missing}"
    # The Sphinx roles of the docstrings became links (docs/griffe_sphinx_roles.py).
    pipeline = (site / "api" / "pipeline" / "index.html").read_text(encoding="utf-8")
    assert ":class:" not in pipeline and 'href="../flow/#headrace.Flow"' in pipeline
    # bench/RESULTS.md is a page of the site (docs/mkdocs_hooks.py).
    assert (site / "results" / "index.html").exists()
