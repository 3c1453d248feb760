"""Graphviz DOT text for a pipeline, and rendering it with Graphviz's ``dot``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from . import _flow_graph, _plan
from ._steps import Parallel, Source, Step


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pipeline_dot(source: Source | None, steps: Sequence[Step | Parallel], names: Sequence[str],
                 queue_size: int) -> str:
    """Steps as nodes; an edge says whether a queue (of what capacity) or nothing (the two
    run fused in one chain of drivers) sits between them."""
    lines = ["digraph pipeline {", "  rankdir=LR;", '  node [shape=box, style=rounded];']
    previous = [source.name if source else "input"]
    lines.append(f"  {_quote(previous[0])} [shape=oval];")
    groups = _plan.fuse(steps, names)
    fused = {name for g in groups for _, name in g[1:]}
    if groups and _plan.reads_source(groups[0]):
        fused.add(groups[0][0][1])
    for step, name in zip(steps, names):
        capacity = step.queue_size or queue_size
        if isinstance(step, Step):
            label = name if step.workers == 1 else f"{name} ×{step.workers}"
            if step.processes:
                label += " (processes)"
            lines.append(f"  {_quote(name)} [label={_quote(label)}];")
            label = "fused" if name in fused else f"queue {capacity}"
            for p in previous:
                lines.append(f"  {_quote(p)} -> {_quote(name)} [label={_quote(label)}];")
            previous = [name]
            continue
        join = f"{name}.join"
        lines.append(f"  subgraph {_quote('cluster_' + name)} {{")
        lines.append(f"    label={_quote(name)};")
        for b, branch in enumerate(step.branches):
            chain = [f"{name}[{b}].{s.name}" for s in branch]
            for node, s in zip(chain, branch):
                lines.append(f"    {_quote(node)} [label={_quote(s.name)}];")
            for p in previous:
                lines.append(f"    {_quote(p)} -> {_quote(chain[0])};")
            for a, c in zip(chain, chain[1:]):
                lines.append(f"    {_quote(a)} -> {_quote(c)};")
            lines.append(f"    {_quote(chain[-1])} -> {_quote(join)};")
        lines.append(f"    {_quote(join)} [label={_quote('join')}, shape=diamond];")
        lines.append("  }")
        previous = [join]
    lines.append(f"  {_quote('output')} [shape=oval];")
    for p in previous:
        lines.append(f"  {_quote(p)} -> {_quote('output')};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def flow_dot(graph: _flow_graph.Graph) -> str:
    """Steps as nodes, streams as edges labelled with their names; an output stream ends in
    an oval of its own, a seeded stream starts at one, a loop's back edge is dashed."""
    lines = ["digraph flow {", "  rankdir=LR;", '  node [shape=box, style=rounded];']
    for node in graph.nodes:
        label = node.name
        if isinstance(node.step, Source):
            lines.append(f"  {_quote(node.name)} [shape=oval];")
            continue
        if node.step.workers > 1:
            label += f" ×{node.step.workers}"
        lines.append(f"  {_quote(node.name)} [label={_quote(label)}];")
    for s, name in graph.names.items():
        if s.seeds:
            lines.append(f"  {_quote('seed:' + name)} [label={_quote(f'{len(s.seeds)} seeded')}, shape=oval];")
        end = graph.reader[s][0].name if s in graph.reader else "output:" + name
        if s not in graph.reader:
            lines.append(f"  {_quote(end)} [label={_quote(name)}, shape=oval];")
        if s.seeds:
            lines.append(f"  {_quote('seed:' + name)} -> {_quote(end)} [label={_quote(name)}];")
        for writer, _ in graph.writers.get(s, []):
            style = ", style=dashed" if graph.is_loop_back(writer, s) else ""
            lines.append(f"  {_quote(writer.name)} -> {_quote(end)} [label={_quote(name)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot: str, path: str) -> None:
    """Writes ``dot`` rendered in the format named by ``path``'s extension (svg, png, pdf)."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt == "dot" or fmt == "gv":
        with open(path, "w", encoding="utf-8") as f:
            f.write(dot)
        return
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(
            f"diagram({path!r}): rendering needs Graphviz's `dot` program, which is not "
            "installed (e.g. `apt-get install graphviz`); diagram() without a path returns "
            "the DOT text"
        )
    result = subprocess.run([exe, f"-T{fmt or 'svg'}", "-o", path], input=dot.encode(),
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"diagram({path!r}): dot failed: {result.stderr.decode().strip()}")
