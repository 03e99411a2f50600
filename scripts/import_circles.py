#!/usr/bin/env python3
"""Import circles between the rooms of a crate, from its `use crate::` / `super::` paths.

A room is one source file (a folder's `mod.rs` is the folder's door). Every path a file names
(`use` trees, inline `crate::a::b` / `super::x` paths, and in a door paths that start at one of
its child modules) is resolved to the deepest room it reaches; an edge to a room's own ancestors
is kept, so a child that imports from its door while the door re-exports it is a circle, and
so is a module reached through another's door that leads back to it. Test modules (`#[cfg(test)]` to the end of the file, the
convention here) are skipped: tests may reach anywhere.

Circles (strongly connected sets of more than one room) are printed; those listed in the
allowlist below are real recursion and pass. Exit status 1 if any other circle exists.

    python3 scripts/import_circles.py chain/src [more crate src dirs...]
"""

import os
import re
import sys

# Real recursion, named by the rooms each circle must stay within. A circle passes when every
# room in it is in one of these sets.
ALLOWED = {
    "chain/src": [
        # A contract's response carries messages, and a message can call a contract: the wasm
        # module's message handlers, its response dispatch and the app's message router.
        {"app/exec", "modules/wasm/dispatch", "modules/wasm/msgs"},
        # A proposal carries messages, checked at submission by the same decoder that decodes
        # the transaction carrying the proposal.
        {"app/decode", "modules/gov/msgs"},
    ],
}

USE_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]*);", re.S | re.M)
# A path that starts at one of the file's own child modules (`use child::X` in a door).
CHILD_RE = re.compile(r"\b([a-z_][a-z0-9_]*)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
INLINE_RE = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def rooms_of(src):
    """Map room name ('state/bank', 'state/mod') -> file path."""
    rooms = {}
    for dirpath, _, files in os.walk(src):
        for f in files:
            if f.endswith(".rs"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, src)[:-3]
                rooms[rel] = path
    return rooms


def module_path(room):
    """'state/bank' -> ['state', 'bank']; 'state/mod' -> ['state']; 'lib' -> []."""
    parts = room.split("/")
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def room_for(mod_parts, rooms):
    """The deepest room a module path reaches."""
    for n in range(len(mod_parts), -1, -1):
        head = mod_parts[:n]
        for cand in ("/".join(head), "/".join(head + ["mod"])):
            if cand in rooms:
                return cand
        if n == 0:
            return "lib" if "lib" in rooms else ("main" if "main" in rooms else None)
    return None


def expand_use(tree):
    """Flatten a use tree `a::{b, c::{d, e}}` into paths ['a::b', 'a::c::d', ...]."""
    tree = re.sub(r"\s+as\s+[A-Za-z_][A-Za-z0-9_]*", "", tree)
    tree = re.sub(r"\s+", "", tree)
    out = []

    def go(prefix, t):
        # split t at top-level commas
        depth, start, items = 0, 0, []
        for i, ch in enumerate(t):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                items.append(t[start:i])
                start = i + 1
        items.append(t[start:])
        for item in items:
            if not item:
                continue
            if "{" in item:
                head, _, rest = item.partition("{")
                go(prefix + head, rest[: rest.rfind("}")])
            else:
                out.append(prefix + item)

    go("", tree)
    return out


def strip_tests(text):
    m = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod\s+\w+\s*\{", text, re.M)
    return text[: m.start()] if m else text


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def resolve(path, room, rooms):
    """A `crate::`/`super::`/`self::` path (or one starting at a child module of `room`) named
    in `room` -> the room it reaches (or None)."""
    segs = [s for s in path.split("::") if s]
    if segs and segs[0] not in ("crate", "super", "self"):
        child = module_path(room) + [segs[0]]
        if any(c in rooms for c in ("/".join(child), "/".join(child + ["mod"]))):
            return room_for(module_path(room) + segs, rooms)
        return None
    if not segs:
        return None
    here = module_path(room)
    base = []
    i = 0
    if segs[0] == "crate":
        base, i = [], 1
    else:
        base = list(here)
        while i < len(segs) and segs[i] in ("super", "self"):
            if segs[i] == "super":
                base = base[:-1]
            i += 1
    # Glob and item names: walk as deep as rooms exist.
    mod_parts = base + [s for s in segs[i:] if s not in ("*", "self")]
    return room_for(mod_parts, rooms)


def edges_of(src):
    rooms = rooms_of(src)
    edges = {r: set() for r in rooms}
    for room, path in rooms.items():
        with open(path, encoding="utf-8") as fh:
            text = strip_tests(strip_comments(fh.read()))
        paths = []
        for m in USE_RE.finditer(text):
            paths.extend(expand_use(m.group(1)))
        for m in CHILD_RE.finditer(text):
            paths.append(m.group(1) + m.group(2))
        for m in INLINE_RE.finditer(text):
            paths.append(m.group(1) + m.group(2))
        for p in paths:
            target = resolve(p, room, rooms)
            if target and target != room and target not in ("lib", "main"):
                edges[room].add(target)
    return rooms, edges


def circles(edges):
    """Strongly connected components of more than one room (Tarjan, iterative)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def strong(v):
        work = [(v, iter(sorted(edges[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            strong(v)
    return sorted(out)


def main(argv):
    srcs = argv[1:] or ["chain/src"]
    bad = 0
    for src in srcs:
        src = src.rstrip("/")
        _, edges = edges_of(src)
        allowed = ALLOWED.get(src, [])
        found = circles(edges)
        for comp in found:
            ok = any(set(comp) <= a for a in allowed)
            tag = "allowed recursion" if ok else "CIRCLE"
            if not ok:
                bad += 1
            print(f"{src}: {tag}: " + " <-> ".join(comp))
            if not ok:
                for a in comp:
                    back = sorted(b for b in edges[a] if b in comp)
                    print(f"    {a} -> {', '.join(back)}")
        if not found:
            print(f"{src}: no import circles")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
