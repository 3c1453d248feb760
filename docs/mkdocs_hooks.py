"""mkdocs hooks (mkdocs.yml `hooks:`): the site also shows bench/RESULTS.md, which lives
outside docs/, as the page results.md, with its chart bench/ratios.png. Links stay written
for the repository (docs/ links to ../bench/RESULTS.md, RESULTS.md to ../docs/*.md, both
right on GitHub); this rewrites them to the site's pages so that `mkdocs build --strict`
can check them."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Files from outside docs/ shown on the site: their path in the repository -> their page.
MIRRORED = {ROOT / "bench" / "RESULTS.md": "results.md", ROOT / "bench" / "ratios.png": "ratios.png"}

_LINK = re.compile(r"\]\((?!https?://)([^)#\s]+)")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for source, page in MIRRORED.items():
        files.append(File.generated(config, page, abs_src_path=str(source)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    source = Path(page.file.abs_src_path)
    page_dir = posixpath.dirname(page.file.src_uri)

    def site_link(match: re.Match[str]) -> str:
        target = (source.parent / match[1]).resolve()
        if target in MIRRORED:
            uri = MIRRORED[target]
        elif source in MIRRORED and target.is_relative_to(DOCS):
            uri = target.relative_to(DOCS).as_posix()
        else:
            return match[0]  # a link inside docs/: mkdocs checks it as written
        return "](" + posixpath.relpath(uri, page_dir or ".")

    return _LINK.sub(site_link, markdown)
