"""The text of ``DataStream.explain()``: the plan as a tree, one operator per line, with the
workers it runs on, what was pushed into file scans, and after a run what each operator did."""

from __future__ import annotations

from . import _logical, _physical


def _label(node: _logical.Node, plan: _physical.Planner) -> str:
    if isinstance(node, _logical.FileSource):
        text = f"{node.name}: {node.scan.describe()}"
        columns = plan.push.scan_columns(node)
        if len(columns) < len(node.scan.schema):
            text += f", columns=[{', '.join(columns)}]"
        predicate = plan.push.scan_filter(node)
        if predicate is not None:
            text += f", filter={predicate!r}"
        keys = plan.scan_keys.get(id(node))
        if keys:
            text += f", join key filter on {', '.join(k.column for k in keys)}"
        return text
    codes = plan.encoded_keys.get(id(node))
    if isinstance(node, _logical.Aggregate) and codes:
        return f"{node.label()}, by the dictionary codes of {', '.join(k for k in node.keys if k in codes)}"
    return node.label()


def _figures(meters: list) -> str:
    rows_in = sum(m.rows_in for m in meters)
    rows_out = sum(m.rows_out for m in meters)
    batches_in = sum(m.batches_in for m in meters)
    batches_out = sum(m.batches_out for m in meters)
    seconds = sum(m.seconds for m in meters)
    return (f"rows {rows_in:,} -> {rows_out:,}, batches {batches_in:,} -> {batches_out:,}, "
            f"{seconds * 1000:.1f} ms")


def render(root: _logical.Node, plan: _physical.Planner, analyzed: bool, wall: float | None = None) -> str:
    """``plan`` must have built its stages (``plan.build(root)``)."""
    lines: list[str] = []
    shown: set[int] = set()

    def visit(node: _logical.Node, depth: int) -> None:
        pad = "  " * depth
        if id(node) in shown:
            lines.append(f"{pad}(the same {node.label()} as above: its output goes to both)")
            return
        shown.add(id(node))
        if id(node) in plan.push.absorbed:
            lines.append(f"{pad}{node.label()}  [pushed into the scan]")
        elif id(node) in plan.fused:
            lines.append(f"{pad}{node.label()}  [computed by the aggregation]")
        else:
            stage = plan.stage_of[id(node)]
            workers = f"{stage.workers} worker{'s' if stage.workers != 1 else ''}"
            line = f"{pad}{_label(node, plan)}  [{workers}]"
            if analyzed:
                line += f"  {_figures(plan.meters.get(id(node), []))}"
            lines.append(line)
        for i in node.inputs:
            visit(i, depth + 1)

    visit(root, 0)
    if wall is not None:
        lines.append(f"total: {wall * 1000:.1f} ms with {plan.threads} thread{'s' if plan.threads != 1 else ''}")
    return "\n".join(lines)
