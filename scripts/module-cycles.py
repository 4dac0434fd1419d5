#!/usr/bin/env python3
"""Lists the `crate::` edges between a crate's modules and fails on an import circle.

Usage: scripts/module-cycles.py [CRATE_SRC_DIR ...]   (default: crates/screening/src)

A module is a file under src/ (`foo.rs` or `foo/mod.rs` is `foo`, `foo/bar.rs` is `foo::bar`,
folded into its top-level module `foo`); lib.rs is the crate root and is left out, since its
`pub use` lines re-export everything. An edge A -> B is any `crate::B` path in A's code,
comments and strings aside, `use crate::{B, C}` groups included; `crate::Name` re-exported by
lib.rs (`pub use b::Name`) counts as an edge to `b`. Exit status 1 when the edges form a cycle, with each cycle printed.
"""

import re
import sys
from pathlib import Path


def strip(text: str) -> str:
    """Removes comments and string literals, so only code is scanned."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'r(#*)".*?"\1', '""', text, flags=re.S)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text, flags=re.S)
    text = re.sub(r"'(?:\\.|[^'\\])'", "''", text)
    return re.sub(r"//[^\n]*", " ", text)


def module_of(path: Path, src: Path) -> str | None:
    rel = path.relative_to(src)
    if rel.parts == ("lib.rs",) or rel.parts == ("main.rs",):
        return None
    return rel.parts[0][:-3] if len(rel.parts) == 1 else rel.parts[0]


def group_names(body: str) -> list[str]:
    """First path segments inside a `{...}` use group, nested groups skipped."""
    names, depth, cur = [], 0, ""
    for ch in body:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            names.append(cur)
            cur = ""
            continue
        if depth == 0 and ch not in "{}":
            cur += ch
    names.append(cur)
    out = []
    for n in names:
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", n)
        if m:
            out.append(m.group(1))
    return out


def edges(src: Path) -> dict[str, set[str]]:
    mods = {module_of(p, src) for p in src.rglob("*.rs")} - {None}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    reexports: dict[str, str] = {}
    root = src / "lib.rs"
    if root.exists():
        for m in re.finditer(r"\bpub use\s+([A-Za-z_][A-Za-z0-9_]*)::(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", strip(root.read_text())):
            for name in group_names(m.group(2).strip("{}")):
                reexports[name] = m.group(1)
    for p in sorted(src.rglob("*.rs")):
        me = module_of(p, src)
        if me is None:
            continue
        code = strip(p.read_text())
        targets = set()
        for m in re.finditer(r"\bcrate::(\{)?", code):
            rest = code[m.end():]
            if m.group(1):
                depth, i = 1, 0
                while i < len(rest) and depth:
                    depth += {"{": 1, "}": -1}.get(rest[i], 0)
                    i += 1
                targets.update(group_names(rest[: i - 1]))
            else:
                n = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
                if n:
                    targets.add(n.group(0))
        # `crate::Name` through a re-export in lib.rs is an edge to the module it comes from.
        targets = {reexports.get(t, t) for t in targets}
        graph[me].update(t for t in targets if t in mods and t != me)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    dirs = [Path(a) for a in sys.argv[1:]] or [Path(__file__).resolve().parent.parent / "crates/screening/src"]
    failed = False
    for src in dirs:
        graph = edges(src)
        print(f"{src}: {len(graph)} modules, {sum(len(v) for v in graph.values())} edges")
        for m in sorted(graph):
            print(f"  {m} -> {', '.join(sorted(graph[m])) or '(nothing)'}")
        found = cycles(graph)
        for comp in found:
            failed = True
            inside = {m: sorted(graph[m] & set(comp)) for m in comp}
            print(f"CYCLE among {', '.join(comp)}:")
            for m in comp:
                print(f"    {m} -> {', '.join(inside[m])}")
        if not found:
            print("  no import circle")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
