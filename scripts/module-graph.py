#!/usr/bin/env python3
"""Prints, for each crate of the workspace, its largest source files and its
circles of top-level modules that import each other (through `crate::`).

    python3 scripts/module-graph.py            # every crate
    python3 scripts/module-graph.py firebreak-app
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "crates"
REF = re.compile(r"\bcrate::(\{[^}]*\}|[a-z_][a-z0-9_]*)")


def top_module(src: pathlib.Path, path: pathlib.Path) -> str:
    first = path.relative_to(src).parts[0]
    return first[:-3] if first.endswith(".rs") else first


def graph(src: pathlib.Path) -> dict:
    edges: dict = {}
    for path in src.rglob("*.rs"):
        here = top_module(src, path)
        if here in ("lib", "main"):
            continue
        text = path.read_text(encoding="utf-8")
        # Tests import freely; only the code itself counts.
        text = text.split("#[cfg(test)]")[0]
        for m in REF.finditer(text):
            names = m.group(1).strip("{}").split(",")
            for n in names:
                n = n.strip().split("::")[0]
                if n and n != "self" and n != here and n[0].islower():
                    edges.setdefault(here, set()).add(n)
        edges.setdefault(here, set())
    return edges


def circles(edges: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
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
    for v in list(edges):
        if v not in index:
            visit(v)
    return sorted(out, key=len, reverse=True)


def main() -> None:
    wanted = set(sys.argv[1:])
    for crate in sorted(ROOT.iterdir()):
        src = crate / "src"
        if not src.is_dir() or (wanted and crate.name not in wanted):
            continue
        files = sorted(
            ((sum(1 for _ in p.open(encoding="utf-8")), p.relative_to(crate)) for p in src.rglob("*.rs")),
            reverse=True,
        )
        total = sum(n for n, _ in files)
        print(f"{crate.name}: {total} lines in {len(files)} files")
        for n, p in files[:3]:
            print(f"  {n:6} {p}")
        found = circles(graph(src))
        if not found:
            print("  no import circle")
        for c in found:
            print(f"  circle of {len(c)}: {' ⇄ '.join(c)}")


if __name__ == "__main__":
    main()
