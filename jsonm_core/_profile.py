"""Per-path structural profile: counts, types, number/string stats, sketches, key-set variants.

Two entry points feed the same statistics so that the fast path (parsed Python objects) and the
exact structural path (token events) give byte-identical reports:
- ``walk(node, value)`` for a value parsed by the C decoder;
- ``scalar_*`` / ``open_container`` / ``close_container`` for the structural tokenizer.

Everything is mergeable exactly (sums are exact integers, the distinct sketch and key-set
variants are selected by hash, not by arrival order), which gives the merge law.
"""

from __future__ import annotations

import re
from itertools import repeat as _repeat
from zlib import crc32

SAFE_INT = 1 << 53
NEG_SAFE_INT = -SAFE_INT               # a constant: `-SAFE_INT` inline allocates a new int per test
SCALE_BITS = 1074                      # every finite float times 2**1074 is an integer
KMV_K = 256                            # distinct sketch size (exact below K distinct values)
MAX_EXAMPLES = 3
EXAMPLE_CHARS = 40
MAX_KEYSETS = 16
HASH_SPACE = 1 << 32
_MIX = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1
_P64 = 0xFFFFFFFFFFFFFFC5       # largest 64-bit prime: ints hash by residue (no 2**64-aliasing)
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
_TRUE_H, _FALSE_H, _NULL_H = 0x5F1A3C07, 0x2B6D9E41, 0x7C3E0A95
_NUM_SALT = 0x5BD1E995          # numbers and strings hash apart (crc32("") == mix(0) == 0)
_NONFINITE_H = {float("inf"): 0x1F3D5B79, float("-inf"): 0x2E4C6A88}
_NAN_H = 0x3A5C7E91

TYPE_NAMES = ("object", "array", "string", "integer", "float", "boolean", "null")


def child_path(parent: str, key: str) -> str:
    """``$.a`` for identifier keys, ``$["a b"]`` otherwise (JSON-escaped)."""
    if _IDENT.match(key):
        return parent + "." + key
    return parent + "[" + _json_str(key) + "]"


def _json_str(s: str) -> str:
    import json
    return json.dumps(s, ensure_ascii=False)


def num_hash(v) -> int:
    """Portable 32-bit hash of a number: the same on 64-bit CPython and wasm32 Pyodide (whose
    built-in ``hash`` differs), and alike for an int and the equal float (1 and 1.0)."""
    if type(v) is float:
        if v.is_integer():
            v = int(v)
        elif v - v != 0:
            return _NONFINITE_H.get(v, _NAN_H)
        else:
            n, d = v.as_integer_ratio()
            v = n * 0x9E3779B1 + d
    return ((((v % _P64) * _MIX) >> 32) & 0xFFFFFFFF) ^ _NUM_SALT


def str_hash(s: str) -> int:
    return crc32(s.encode("utf-8", "surrogatepass"))


_INF = float("inf")
_BIG = 1 << 62


class Node:
    """Statistics of one path; ``kids`` maps object keys, ``item`` is the ``[*]`` child.
    Minima/maxima start at sentinels (no None checks on the hot path)."""

    __slots__ = ("path", "kids", "item", "n_obj", "n_arr", "n_str", "n_int", "n_float",
                 "n_bool", "n_null", "nmin", "nmax", "isum", "fsum", "nnum", "smin", "smax", "ssum",
                 "kmv", "kmv_max", "ex", "ks", "ks_max", "kso", "depth", "ps", "pn", "pfl")

    @property
    def count(self) -> int:
        """Values seen at this path (the sum of the type counts: one less store per value)."""
        return (self.n_obj + self.n_arr + self.n_str + self.n_int + self.n_float + self.n_bool
                + self.n_null)

    def __init__(self, path: str) -> None:
        self.path = path
        self.kids: dict = {}
        self.item = None
        self.n_obj = self.n_arr = self.n_str = self.n_int = 0
        self.n_float = self.n_bool = self.n_null = 0
        self.nmin, self.nmax = _INF, -_INF
        self.isum = self.fsum = self.nnum = 0
        self.smin, self.smax = _BIG, -1
        self.ssum = 0
        self.kmv: set = set()
        self.kmv_max = HASH_SPACE
        self.ex: list = []
        self.ks: dict = {}           # frozenset(keys) -> [count, hash]
        self.ks_max = HASH_SPACE
        self.kso: dict = {}          # tuple(keys in document order) -> (child nodes, ks entry or None): a cache
        self.depth = 0
        # The fast-path walk collects strings and numbers (in arrival order) here; ``Profiler.flush``
        # reduces them in C.  Only examples depend on the order across types: while they are not
        # full, the walk never lets a node hold both kinds pending (see ``_walk_dict``).
        self.ps: list = []
        self.pn: list = []
        self.pfl = False             # pn holds a float: reduce it value by value


class Profiler:
    """The path tree with bounded size: at most ``max_paths`` nodes; values at further paths
    land on a shared ``sink`` node whose count is the overflow."""

    def __init__(self, max_paths: int = 4096) -> None:
        self.max_paths = max_paths
        self.root = Node("$")
        self.nodes: dict[str, Node] = {"$": self.root}
        self.sink = Node("…")
        self.sink.item = self.sink
        self.overflow_base = 0
        self.dirty: list = []        # batch-mode nodes with pending values (see ``flush``)

    def __del__(self) -> None:
        # Freeing the root would free the path tree recursively, one C frame per level: a tree a few
        # thousand levels deep (max_depth raised) overflows Pyodide's stack, a fatal error there.
        # Unlinking every node first (all stay reachable from ``nodes``) frees them one by one.
        for n in self.nodes.values():
            n.kids = {}
            n.kso = {}
            n.item = None

    @property
    def overflow(self) -> int:
        self.flush()
        return self.overflow_base + self.sink.count

    # ---- batch reduction ----------------------------------------------------------------------
    def flush(self) -> None:
        """Reduce the values collected by the fast-path walk; must run before any other update or
        read of those nodes (the engine calls it at the end of each fast-path window)."""
        dirty = self.dirty
        if not dirty:
            return
        for c in dirty:
            if c.ps or c.pn:
                self._flush_node(c)
        dirty.clear()

    def _flush_node(self, c: Node) -> None:
        ps = c.ps
        if ps:
            c.ps = []
            lens = list(map(len, ps))
            c.n_str += len(ps)
            c.ssum += sum(lens)
            m = min(lens)
            if m < c.smin:
                c.smin = m
            m = max(lens)
            if m > c.smax:
                c.smax = m
            u = ps
            if len(c.ex) < MAX_EXAMPLES:         # examples: exactly as value by value
                it = iter(dict.fromkeys(ps))     # distinct values, first occurrence order
                kmv = c.kmv
                for x in it:
                    h = crc32(x.encode("utf-8", "surrogatepass"))
                    if h not in kmv:
                        if h < c.kmv_max:
                            self._kmv(c, h)
                        self._example(c, x[:EXAMPLE_CHARS] + "…" if len(x) > EXAMPLE_CHARS else x)
                        if len(c.ex) >= MAX_EXAMPLES:
                            break
                u = list(it)
            if u:
                self._kmv_add(c, set(map(crc32, map(str.encode, u, _repeat("utf-8", len(u)),
                                                      _repeat("surrogatepass", len(u))))))
        pn = c.pn
        if pn:
            c.pn = []
            if c.pfl:
                c.pfl = False
                if len(c.ex) < MAX_EXAMPLES or not self._reduce_mixed(c, pn):
                    for x in pn:                 # examples (or a non-finite float): in order
                        if type(x) is int:
                            self.scalar_int(c, x)
                        else:
                            self.scalar_float(c, x)
                return
            n = len(pn)
            c.n_int += n
            c.nnum += n
            c.isum += sum(pn)
            self._num_range(c, pn)
            u = dict.fromkeys(pn)
            if len(c.ex) < MAX_EXAMPLES:
                it = iter(u)
                kmv = c.kmv
                for x in it:
                    h = ((((x % _P64) * _MIX) >> 32) & 0xFFFFFFFF) ^ _NUM_SALT
                    if h not in kmv:
                        if h < c.kmv_max:
                            self._kmv(c, h)
                        self._example(c, x)
                        if len(c.ex) >= MAX_EXAMPLES:
                            break
                u = list(it)
            if u:
                self._kmv_add(c, {((((v % _P64) * _MIX) >> 32) & 0xFFFFFFFF) ^ _NUM_SALT for v in u})

    def _reduce_mixed(self, c: Node, pn: list) -> bool:
        """Integers and floats pending at one path, reduced as ``scalar_int``/``scalar_float`` would
        one by one (``min``/``max`` keep the first of equal values, e.g. 3 before 3.0, as the strict
        comparisons do).  False, with nothing changed, when a float is not finite."""
        floats = [x for x in pn if type(x) is float]
        total = sum(floats)
        if total - total != 0:                   # inf or nan among them (or a sum that overflows)
            return False
        ints = [x for x in pn if type(x) is int]
        c.n_int += len(ints)
        c.n_float += len(floats)
        c.nnum += len(pn)
        c.isum += sum(ints)
        c.fsum += sum(n << (SCALE_BITS - d.bit_length() + 1) for n, d in map(float.as_integer_ratio, floats))
        self._num_range(c, pn)
        hs = {((((v % _P64) * _MIX) >> 32) & 0xFFFFFFFF) ^ _NUM_SALT for v in set(ints)}
        hs.update(map(num_hash, set(floats)))
        self._kmv_add(c, hs)
        return True

    @staticmethod
    def _num_range(c: Node, values: list) -> None:
        """Fold pending numbers into the path's minimum and maximum: ``min``/``max`` return the
        first of equal values and the compares are strict, so ties keep the earliest (3 before 3.0)."""
        m = min(values)
        if m < c.nmin:
            c.nmin = m
        m = max(values)
        if m > c.nmax:
            c.nmax = m

    @staticmethod
    def _kmv_add(node: Node, hs: set) -> None:
        """Add hashes to the K-minimum-values sketch (the K smallest distinct: order-free)."""
        s = node.kmv
        mx = node.kmv_max
        if mx < HASH_SPACE:
            hs = {h for h in hs if h < mx}
            if not hs:
                return
        s |= hs
        if len(s) > KMV_K:
            keep = sorted(s)[:KMV_K]
            s.clear()
            s.update(keep)
        if len(s) >= KMV_K:
            node.kmv_max = max(s)

    # ---- tree -----------------------------------------------------------------------------
    def _new(self, path: str) -> Node:
        n = self.nodes.get(path)
        if n is None:
            if len(self.nodes) >= self.max_paths:
                return self.sink
            n = self.nodes[path] = Node(path)
        return n

    def child(self, node: Node, key: str) -> Node:
        c = node.kids.get(key)
        if c is None:
            if node is self.sink:
                return self.sink
            c = self._new(child_path(node.path, key))
            if c is not self.sink:
                node.kids[key] = c
        return c

    def item(self, node: Node) -> Node:
        c = node.item
        if c is None:
            c = self._new(node.path + "[*]")
            if c is not self.sink:
                node.item = c
        return c

    def node_for(self, path: str) -> Node:
        """The node of a path string (used to restore container frames from a context)."""
        n = self.nodes.get(path)
        return n if n is not None else self._new(path)

    # ---- scalar statistics (shared by both paths) ------------------------------------------
    @staticmethod
    def _example(node: Node, v) -> None:
        ex = node.ex
        t = type(v)
        for e in ex:
            if type(e) is t and e == v:
                return
        ex.append(v)

    @staticmethod
    def _kmv(node: Node, h: int) -> None:
        s = node.kmv
        if h in s:
            return
        s.add(h)
        if len(s) > KMV_K:
            s.discard(max(s))
        if len(s) >= KMV_K:
            node.kmv_max = max(s)

    def string_done(self, node: Node, length: int, h: int, prefix: str) -> None:
        """A string value of ``length`` characters, hash ``h``; ``prefix`` >= EXAMPLE_CHARS+1 chars."""
        node.n_str += 1
        node.ssum += length
        if length < node.smin:
            node.smin = length
        if length > node.smax:
            node.smax = length
        if h not in node.kmv:                # examples change only with a new distinct value
            if h < node.kmv_max:
                self._kmv(node, h)
            if len(node.ex) < MAX_EXAMPLES:
                self._example(node, prefix[:EXAMPLE_CHARS] + "…" if length > EXAMPLE_CHARS else prefix)

    def scalar_str(self, node: Node, s: str) -> None:
        self.string_done(node, len(s), crc32(s.encode("utf-8", "surrogatepass")), s[:EXAMPLE_CHARS + 1])

    def scalar_int(self, node: Node, v: int) -> None:
        node.n_int += 1
        node.nnum += 1
        node.isum += v
        if v < node.nmin:
            node.nmin = v
        if v > node.nmax:
            node.nmax = v
        h = ((((v % _P64) * _MIX) >> 32) & 0xFFFFFFFF) ^ _NUM_SALT
        if h not in node.kmv:
            if h < node.kmv_max:
                self._kmv(node, h)
            if len(node.ex) < MAX_EXAMPLES:
                self._example(node, v)

    def scalar_float(self, node: Node, v: float) -> None:
        node.n_float += 1
        h = num_hash(v)
        new = h not in node.kmv
        if v - v == 0:                       # finite: exact scaled sum
            node.nnum += 1
            n, d = v.as_integer_ratio()
            node.fsum += n << (SCALE_BITS - d.bit_length() + 1)
            if v < node.nmin:
                node.nmin = v
            if v > node.nmax:
                node.nmax = v
            if new and len(node.ex) < MAX_EXAMPLES:
                self._example(node, v)
        if new and h < node.kmv_max:
            self._kmv(node, h)

    def scalar_huge_int(self, node: Node, prefix: str) -> None:
        """An integer too long to convert: counted, no numeric stats."""
        node.n_int += 1

    def scalar_bool(self, node: Node, v: bool) -> None:
        node.n_bool += 1
        h = _TRUE_H if v else _FALSE_H
        if h not in node.kmv:
            if h < node.kmv_max:
                self._kmv(node, h)
            if len(node.ex) < MAX_EXAMPLES:
                self._example(node, v)

    def scalar_null(self, node: Node) -> None:
        node.n_null += 1
        if _NULL_H not in node.kmv:
            if _NULL_H < node.kmv_max:
                self._kmv(node, _NULL_H)
            if len(node.ex) < MAX_EXAMPLES:
                self._example(node, None)

    # ---- containers -------------------------------------------------------------------------
    def open_container(self, node: Node, is_obj: bool) -> None:
        if is_obj:
            node.n_obj += 1
        else:
            node.n_arr += 1

    def close_container(self, node: Node, height: int, keys) -> None:
        """``height`` >= 1 is the nesting height of the closed value; ``keys`` its key set or None."""
        if height > node.depth:
            node.depth = height
        if keys is not None:
            self._keyset(node, keys if type(keys) is frozenset else frozenset(keys))

    def _keyset(self, node: Node, fs: frozenset):
        """Count one object with key set ``fs``; returns the variant's entry (None if not kept)."""
        ks = node.ks
        e = ks.get(fs)
        if e is not None:
            e[0] += 1
            return e
        h = crc32("\x00".join(sorted(fs)).encode("utf-8", "surrogatepass"))
        if h >= node.ks_max:
            return None
        e = ks[fs] = [1, h]
        if len(ks) > MAX_KEYSETS:
            worst = max(ks, key=lambda k: ks[k][1])
            del ks[worst]
            node.kso.clear()
            if worst is fs:
                e = None
        if len(ks) >= MAX_KEYSETS:
            node.ks_max = max(v[1] for v in ks.values())
        return e

    # ---- fast path: parsed Python values -----------------------------------------------------
    def walk(self, node: Node, v, big: list) -> int:
        """Profile a parsed value; returns its nesting height.  Integers beyond 2**53 and
        non-finite floats are appended to ``big`` as (node, value) for finding localisation.
        Nodes in batch mode only collect values: ``flush`` reduces them."""
        t = type(v)
        if t is dict:
            return self._walk_dict(node, v, big, self.dirty)
        if t is list:
            return self._walk_list(node, v, big, self.dirty)
        if node.ps or node.pn:                 # a scalar record: keep the node's arrival order
            self._flush_node(node)
        if t is str:
            self.scalar_str(node, v)
        else:
            self._scalar(node, v, t, big)
        return 0

    def _walk_dict(self, node: Node, d: dict, big: list, dirty: list) -> int:
        node.n_obj += 1
        h = 0
        kt = tuple(d)
        ent = node.kso.get(kt)
        if ent is None:
            kids = node.kids
            cl = [kids.get(k) or self.child(node, k) for k in kt]
        else:
            cl = ent[0]
        for c, x in zip(cl, d.values()):
            tx = type(x)
            if tx is str:
                ps = c.ps
                if not ps:
                    dirty.append(c)
                    if c.pn and len(c.ex) < MAX_EXAMPLES:    # keep examples in arrival order
                        self._flush_node(c)
                        ps = c.ps
                ps.append(x)
            elif tx is int:
                pn = c.pn
                if not pn:
                    dirty.append(c)
                    if c.ps and len(c.ex) < MAX_EXAMPLES:
                        self._flush_node(c)
                        pn = c.pn
                pn.append(x)
                if x > SAFE_INT or x < NEG_SAFE_INT:
                    big.append((c, x))
            elif x is None:
                if _NULL_H in c.kmv:
                    c.n_null += 1
                else:
                    if c.ps or c.pn:
                        self._flush_node(c)
                    self.scalar_null(c)
            elif tx is bool:
                if (_TRUE_H if x else _FALSE_H) in c.kmv:
                    c.n_bool += 1
                else:
                    if c.ps or c.pn:
                        self._flush_node(c)
                    self.scalar_bool(c, x)
            elif tx is dict:
                ch = self._walk_dict(c, x, big, dirty)
                if ch > h:
                    h = ch
            elif tx is list:
                ch = self._walk_list(c, x, big, dirty)
                if ch > h:
                    h = ch
            else:                            # float
                pn = c.pn
                if not pn:
                    dirty.append(c)
                    if c.ps and len(c.ex) < MAX_EXAMPLES:
                        self._flush_node(c)
                        pn = c.pn
                pn.append(x)
                c.pfl = True
                if x - x != 0:
                    big.append((c, x))
        h += 1
        if h > node.depth:
            node.depth = h
        if ent is not None:
            e = ent[1]
            if e is not None:
                e[0] += 1
        else:
            # a key set not kept now is never kept later (ks_max only decreases): cache None too
            e = self._keyset(node, frozenset(kt))
            if len(node.kso) < 64:
                node.kso[kt] = (cl, e)
        return h

    def _walk_list(self, node: Node, v: list, big: list, dirty: list) -> int:
        node.n_arr += 1
        h = 0
        if v:
            c = node.item
            if c is None:
                c = self.item(node)
            for x in v:
                tx = type(x)
                if tx is str:
                    ps = c.ps
                    if not ps:
                        dirty.append(c)
                        if c.pn and len(c.ex) < MAX_EXAMPLES:    # keep examples in arrival order
                            self._flush_node(c)
                            ps = c.ps
                    ps.append(x)
                elif tx is int:
                    pn = c.pn
                    if not pn:
                        dirty.append(c)
                        if c.ps and len(c.ex) < MAX_EXAMPLES:
                            self._flush_node(c)
                            pn = c.pn
                    pn.append(x)
                    if x > SAFE_INT or x < NEG_SAFE_INT:
                        big.append((c, x))
                elif x is None:
                    if _NULL_H in c.kmv:
                        c.n_null += 1
                    else:
                        if c.ps or c.pn:
                            self._flush_node(c)
                        self.scalar_null(c)
                elif tx is bool:
                    if (_TRUE_H if x else _FALSE_H) in c.kmv:
                        c.n_bool += 1
                    else:
                        if c.ps or c.pn:
                            self._flush_node(c)
                        self.scalar_bool(c, x)
                elif tx is dict:
                    ch = self._walk_dict(c, x, big, dirty)
                    if ch > h:
                        h = ch
                elif tx is list:
                    ch = self._walk_list(c, x, big, dirty)
                    if ch > h:
                        h = ch
                else:                            # float
                    pn = c.pn
                    if not pn:
                        dirty.append(c)
                        if c.ps and len(c.ex) < MAX_EXAMPLES:
                            self._flush_node(c)
                            pn = c.pn
                    pn.append(x)
                    c.pfl = True
                    if x - x != 0:
                        big.append((c, x))

        h += 1
        if h > node.depth:
            node.depth = h
        return h

    def _scalar(self, node: Node, x, tx, big: list) -> None:
        if tx is int:
            self.scalar_int(node, x)
            if x > SAFE_INT or x < NEG_SAFE_INT:
                big.append((node, x))
        elif tx is float:
            self.scalar_float(node, x)
            if x - x != 0:
                big.append((node, x))
        elif tx is bool:
            self.scalar_bool(node, x)
        else:
            self.scalar_null(node)

    # ---- report / state ------------------------------------------------------------------------
    def report_paths(self) -> dict:
        self.flush()
        out = {}
        for path in sorted(self.nodes):
            out[path] = node_report(self.nodes[path])
        return out


def node_report(n: Node) -> dict:
    types = {}
    for name, c in zip(TYPE_NAMES, (n.n_obj, n.n_arr, n.n_str, n.n_int, n.n_float, n.n_bool, n.n_null)):
        if c:
            types[name] = c
    r: dict = {"count": n.count, "types": types}
    if n.nnum:
        total = (n.isum << SCALE_BITS) + n.fsum
        try:
            mean = total / (n.nnum << SCALE_BITS)
        except OverflowError:                   # integers beyond the float range
            mean = None
        r["number"] = {"min": n.nmin, "max": n.nmax, "mean": mean}
    if n.n_str:
        r["string"] = {"min_len": n.smin, "max_len": n.smax, "mean_len": n.ssum / n.n_str}
    r["distinct"] = distinct_estimate(n.kmv)
    r["examples"] = list(n.ex)
    if n.ks:
        variants = sorted(n.ks.items(), key=lambda kv: (-kv[1][0], sorted(kv[0])))
        r["key_sets"] = [{"keys": sorted(fs), "count": v[0]} for fs, v in variants]
        r["key_sets_other"] = max(0, n.n_obj - sum(v[0] for v in n.ks.values()))
    r["max_depth"] = n.depth
    r["sketch"] = {"int_sum": str(n.isum), "float_sum_2p1074": str(n.fsum), "numbers": n.nnum,
                   "string_chars": n.ssum, "kmv": sorted(n.kmv),
                   "key_sets": [[sorted(fs), v[0], v[1]] for fs, v in sorted(n.ks.items(), key=lambda kv: kv[1][1])]}
    return r


def distinct_estimate(kmv) -> int:
    if len(kmv) < KMV_K:
        return len(kmv)
    return int(round((KMV_K - 1) * HASH_SPACE / (max(kmv) + 1)))


def node_from_report(path: str, r: dict) -> Node:
    """Rebuild a node's full statistics from its report entry (for checkpoints and merges)."""
    n = Node(path)
    t = r["types"]
    n.n_obj, n.n_arr, n.n_str = t.get("object", 0), t.get("array", 0), t.get("string", 0)
    n.n_int, n.n_float, n.n_bool, n.n_null = (t.get("integer", 0), t.get("float", 0),
                                              t.get("boolean", 0), t.get("null", 0))
    sk = r["sketch"]
    n.isum, n.fsum, n.nnum, n.ssum = int(sk["int_sum"]), int(sk["float_sum_2p1074"]), sk["numbers"], sk["string_chars"]
    if "number" in r:
        n.nmin, n.nmax = r["number"]["min"], r["number"]["max"]
    if "string" in r:
        n.smin, n.smax = r["string"]["min_len"], r["string"]["max_len"]
    n.kmv = set(sk["kmv"])
    n.kmv_max = max(n.kmv) if len(n.kmv) >= KMV_K else HASH_SPACE
    n.ex = list(r["examples"])
    n.ks = {frozenset(keys): [c, h] for keys, c, h in sk["key_sets"]}
    n.ks_max = max(v[1] for v in n.ks.values()) if len(n.ks) >= MAX_KEYSETS else HASH_SPACE
    n.depth = r["max_depth"]
    return n


def merge_nodes(a: Node, b: Node) -> Node:
    """``a`` then ``b`` (document order) as if profiled in one pass."""
    m = Node(a.path)
    for f in ("n_obj", "n_arr", "n_str", "n_int", "n_float", "n_bool", "n_null",
              "isum", "fsum", "nnum", "ssum"):
        setattr(m, f, getattr(a, f) + getattr(b, f))
    m.nmin = b.nmin if b.nmin < a.nmin else a.nmin          # ties keep the first (e.g. 0 vs -0.0)
    m.nmax = b.nmax if b.nmax > a.nmax else a.nmax
    m.smin = b.smin if b.smin < a.smin else a.smin
    m.smax = b.smax if b.smax > a.smax else a.smax
    kmv = sorted(a.kmv | b.kmv)[:KMV_K]
    m.kmv = set(kmv)
    m.kmv_max = max(kmv) if len(kmv) >= KMV_K else HASH_SPACE
    m.ex = list(a.ex)
    for v in b.ex:
        if len(m.ex) < MAX_EXAMPLES:
            Profiler._example(m, v)
    ks: dict = {}
    for src in (a.ks, b.ks):
        for fs, (c, h) in src.items():
            if fs in ks:
                ks[fs][0] += c
            else:
                ks[fs] = [c, h]
    keep = sorted(ks.items(), key=lambda kv: kv[1][1])[:MAX_KEYSETS]
    m.ks = dict(keep)
    m.ks_max = max(v[1] for v in m.ks.values()) if len(m.ks) >= MAX_KEYSETS else HASH_SPACE
    m.depth = max(a.depth, b.depth)
    return m
