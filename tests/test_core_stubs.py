"""python/headrace/_core.pyi against the compiled module: the same names, the same parameters,
installed beside it (with py.typed), and mypy's stubtest content when mypy is installed."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import headrace
from headrace import _core

PACKAGE = Path(headrace.__file__).parent
STUB = PACKAGE / "_core.pyi"
ALLOWLIST = Path(__file__).with_name("core_stubtest_allowlist.txt")


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"))


def _public(name: str) -> bool:
    return not name.startswith("_")


def _stub_members(node: ast.ClassDef | ast.Module) -> dict[str, ast.AST]:
    members: dict[str, ast.AST] = {}
    for item in node.body:
        if isinstance(item, (ast.ClassDef, ast.FunctionDef)):
            members[item.name] = item
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            members[item.target.id] = item
        elif isinstance(item, ast.Assign):
            members.update((t.id, item) for t in item.targets if isinstance(t, ast.Name))
    return members


def _bound_here(cls: type, name: str) -> bool:
    """A name the binding defines on the class itself: public ones, and dunders it binds
    (__init__, __len__, __arrow_c_array__), not what pybind11 adds to every class."""
    if _public(name):
        return True
    doc = getattr(vars(cls)[name], "__doc__", None) or ""
    return name.startswith("__") and doc.startswith(f"{name}(")


def test_stub_and_py_typed_sit_beside_the_module() -> None:
    assert STUB.is_file()
    assert (PACKAGE / "py.typed").is_file()
    if (PACKAGE.parent.parent / "pyproject.toml").is_file() and Path(_core.__file__).parent != PACKAGE:
        return  # an editable install of a checkout: the compiled module stays in the build folder
    assert Path(_core.__file__).parent == PACKAGE


def test_stub_names_what_the_module_defines() -> None:
    stub = _stub_members(_stub())
    runtime = {name for name in dir(_core) if _public(name)}
    assert sorted(runtime - set(stub)) == [], "missing from _core.pyi"
    assert sorted(n for n in stub if _public(n) and n not in runtime) == [], "stale in _core.pyi"
    for name in sorted(runtime):
        value = getattr(_core, name)
        if not isinstance(value, type):
            assert isinstance(stub[name], ast.FunctionDef if callable(value) else ast.AnnAssign), name
            continue
        node = stub[name]
        assert isinstance(node, ast.ClassDef), name
        members = {n for n in _stub_members(node) if _public(n) or n.startswith("__")}
        bound = {n for n in vars(value) if _bound_here(value, n)}
        assert sorted(bound - members) == [], f"{name}: missing from _core.pyi"
        assert sorted(members - bound) == [], f"{name}: stale in _core.pyi"


def _runtime_signature(function: object) -> ast.arguments:
    """The parameters of pybind11's signature line (the docstring's first line), parsed as
    Python; not its return type, which can be a C++ name (a class bound after the function)."""
    line = (function.__doc__ or "").splitlines()[0]
    return ast.parse(f"def {line.rpartition(' -> ')[0]}: ...").body[0].args  # type: ignore[attr-defined]


def _parameters(args: ast.arguments) -> list[tuple[str, bool, ast.expr | None]]:
    """(name, positional-only, default) of each parameter."""
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    return [(a.arg, a in args.posonlyargs, d) for a, d in zip(positional, defaults)] + [
        (a.arg, False, d) for a, d in zip(args.kwonlyargs, args.kw_defaults)
    ]


def _stub_functions() -> list[tuple[str, object, ast.FunctionDef]]:
    found = []
    for node in _stub().body:
        if isinstance(node, ast.FunctionDef):
            found.append((node.name, getattr(_core, node.name, None), node))
        elif isinstance(node, ast.ClassDef) and _public(node.name):
            cls = getattr(_core, node.name, None)
            for item in node.body:
                properties = [d for d in item.decorator_list if isinstance(d, ast.Name) and d.id == "property"] \
                    if isinstance(item, ast.FunctionDef) else [True]
                if not properties:
                    found.append((f"{node.name}.{item.name}", inspect.getattr_static(cls, item.name, None), item))
    return found


FUNCTIONS = _stub_functions()


@pytest.mark.parametrize("name, function, node", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_stub_parameters_are_the_bindings(name: str, function: object, node: ast.FunctionDef) -> None:
    assert function is not None, f"{name} is not in the module"
    if isinstance(function, staticmethod):
        function = function.__func__
    runtime = _parameters(_runtime_signature(function))
    stub = _parameters(node.args)
    assert len(stub) == len(runtime), f"{name}: {[p[0] for p in stub]} != {[p[0] for p in runtime]}"
    for (s_name, s_posonly, s_default), (r_name, _, r_default) in zip(stub, runtime):
        if r_name.startswith("arg") and r_name[3:].isdigit():  # unnamed in the binding: positional only
            assert s_posonly or s_name == "self", f"{name}: {s_name} should be positional-only (before /)"
        else:
            assert s_name == r_name, name
        assert (s_default is None) == (r_default is None), f"{name}: {s_name}'s default"
        if s_default is not None and not (isinstance(s_default, ast.Constant) and s_default.value is Ellipsis):
            assert ast.literal_eval(s_default) == ast.literal_eval(r_default), f"{name}: {s_name}'s default"


def _site_packages() -> set[str]:
    return {*site.getsitepackages(), site.getusersitepackages(), *sysconfig.get_paths().values()}


@pytest.mark.timeout(300)
def test_mypy_stubtest(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install 'headrace[test]')")
    env = dict(os.environ)
    if str(PACKAGE.parent) not in _site_packages():  # a source tree: show mypy where (it refuses site-packages)
        env["MYPYPATH"] = str(PACKAGE.parent)
    proc = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "headrace._core", "--allowlist", str(ALLOWLIST)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=280, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
