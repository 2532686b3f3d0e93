"""Benchmark inputs, written to a scratch directory (build/bench/data, git-ignored).

Four files of about ``size`` bytes each, generated from ``<repo>/../shared/corpus`` (read there,
never copied into the project):

* ``twitter-<size>.json``: twitter.json with its ``statuses`` repeated, each status kept as the exact
  original bytes (pretty-printed, raw UTF-8), so the document has twitter.json's texture at any size;
* ``twitter-<size>.ndjson``: the same records, one compact JSON value per line;
* ``citm-<size>.json``: a citm_catalog-like nested document (``events`` keyed by id and
  ``performances`` repeated with fresh ids, indent 4 like the original).
* ``rows-<size>.ndjson``: amazon_cellphones.ndjson's lines repeated (exact bytes): small records
  (a ~350-byte array per line), where per-record costs dominate, as in log files.

Without the corpus (a user's own machine) data of the same shape is generated in code (seeded, so
deterministic) and :func:`corpus_origin` says so.  Files are reused when already present.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
DATA = ROOT / "build" / "bench" / "data"
MB = 1 << 20


def corpus_origin() -> str:
    """'corpus' when ../shared/corpus has what we need, else 'synthetic'."""
    if all((CORPUS / name).is_file() for name in ("twitter.json", "citm_catalog.json", "amazon_cellphones.ndjson")):
        return "corpus"
    return "synthetic"


def size_label(size: int) -> str:
    return f"{size // MB}MB" if size % MB == 0 else f"{size}B"


# ------------------------------------------------------------------------------ twitter records
def _array_items(doc: bytes, key: bytes) -> tuple[int, int, list[tuple[int, int]]]:
    """Raw byte spans of the elements of the top-level array ``key`` (a tiny string-aware scan).

    Returns (array '[' offset, array ']' offset, [(start, end) of each element]).
    """
    at = doc.index(b'"' + key + b'"')
    open_at = doc.index(b"[", at)
    spans, depth, start, i, n = [], 0, None, open_at + 1, len(doc)
    while i < n:
        c = doc[i]
        if c == 0x22:  # string: skip to its closing quote
            i += 1
            while doc[i] != 0x22:
                i += 2 if doc[i] == 0x5C else 1
        elif c in (0x7B, 0x5B):
            if depth == 0:
                start = i
            depth += 1
        elif c in (0x7D, 0x5D):
            if depth == 0:
                return open_at, i, spans
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
        i += 1
    raise ValueError(f"unterminated array {key!r}")


def _synthetic_status(rng: random.Random, i: int) -> dict:
    words = ["forensic", "json", "東京", "café", "naïve", "😊", "data", "stream", "línea", "🚀", "zürich"]
    uid = rng.randrange(10**9)
    text = " ".join(rng.choice(words) for _ in range(rng.randrange(3, 25)))
    return {
        "metadata": {"result_type": "recent", "iso_language_code": rng.choice(["ja", "en", "es"])},
        "created_at": "Sun Aug 31 00:29:15 +0000 2014",
        "id": 505874924095815681 + i, "id_str": str(505874924095815681 + i),
        "text": text, "source": '<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter</a>',
        "truncated": False, "in_reply_to_status_id": None,
        "in_reply_to_user_id": rng.choice([None, rng.randrange(10**9)]),
        "user": {"id": uid, "id_str": str(uid), "name": f"user{uid % 997}", "screen_name": f"u{uid}",
                 "location": rng.choice(["", "Tokyo", "Zürich"]), "description": text[:60],
                 "url": None, "entities": {"description": {"urls": []}}, "protected": False,
                 "followers_count": rng.randrange(10**5), "friends_count": rng.randrange(10**4),
                 "created_at": "Sat Feb 16 13:40:25 +0000 2013", "favourites_count": rng.randrange(500),
                 "utc_offset": rng.choice([None, 32400]), "verified": rng.random() < 0.01,
                 "lang": "ja", "profile_background_color": "C0DEED"},
        "geo": None, "coordinates": None, "place": None, "contributors": None,
        "retweet_count": rng.randrange(100), "favorite_count": rng.randrange(100),
        "entities": {"hashtags": [{"text": "json", "indices": [0, 5]}] * rng.randrange(3),
                     "symbols": [], "urls": [], "user_mentions": []},
        "favorited": False, "retweeted": False, "lang": "ja",
        "possibly_sensitive": rng.random() < 0.1, "score": rng.random() * 100,
    }


def twitter_parts() -> tuple[bytes, list[bytes], bytes]:
    """(head, [status bytes...], tail) of a twitter document: head + ",\\n".join(statuses) + tail."""
    if corpus_origin() == "corpus":
        doc = (CORPUS / "twitter.json").read_bytes()
        open_at, close_at, spans = _array_items(doc, b"statuses")
        head = doc[: spans[0][0]]
        tail = doc[spans[-1][1]:]
        return head, [doc[a:b] for a, b in spans], tail
    rng = random.Random(20261203)
    statuses = [json.dumps(_synthetic_status(rng, i), ensure_ascii=False, indent=2).encode() for i in range(100)]
    statuses = [b"\n".join(b"    " + line for line in s.split(b"\n")).lstrip() for s in statuses]
    head = b'{\n  "statuses": [\n    '
    tail = b'\n  ],\n  "search_metadata": {"completed_in": 0.087, "count": 100}\n}\n'
    return head, statuses, tail


def _write_until(path: Path, size: int, head: bytes, items: Iterator[bytes], sep: bytes, tail: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(head)
        written, first = len(head) + len(tail), True
        for item in items:
            if not first and written + len(sep) + len(item) > size:
                break
            if not first:
                f.write(sep)
                written += len(sep)
            f.write(item)
            written += len(item)
            first = False
        f.write(tail)
    tmp.rename(path)


def _cycle(items: list[bytes]) -> Iterator[bytes]:
    while True:
        yield from items


def write_twitter(path: Path, size: int) -> None:
    head, statuses, tail = twitter_parts()
    _write_until(path, size, head, _cycle(statuses), b",\n    ", tail)


def write_twitter_ndjson(path: Path, size: int) -> None:
    _, statuses, _ = twitter_parts()
    lines = [json.dumps(json.loads(s), ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for s in statuses]
    _write_until(path, size, b"", _cycle(lines), b"", b"")


# --------------------------------------------------------------------------------------- citm
def _citm_source() -> dict:
    if corpus_origin() == "corpus":
        return json.loads((CORPUS / "citm_catalog.json").read_bytes())
    rng = random.Random(7)
    areas = {str(205705993 + i): f"Zone {i} ÉÈ" for i in range(17)}
    events = {}
    for i in range(184):
        eid = 138586341 + i * 4
        events[str(eid)] = {"description": None, "id": eid, "logo": rng.choice([None, f"/images/{eid}.jpg"]),
                            "name": f"Événement {i}", "subTopicIds": [337184269, 337184283][: rng.randrange(1, 3)],
                            "subjectCode": None, "subtitle": None, "topicIds": [324846099, 107888604]}
    perfs = []
    for i in range(243):
        perfs.append({"eventId": 138586341 + (i % 184) * 4, "id": 339887544 + i, "logo": None, "name": None,
                      "prices": [{"amount": rng.randrange(10000, 100000), "audienceSubCategoryId": 337100890,
                                  "seatCategoryId": 338937295 + k} for k in range(rng.randrange(1, 6))],
                      "seatCategories": [{"areas": [{"areaId": int(a), "blockIds": []} for a in list(areas)[:rng.randrange(1, 10)]],
                                          "seatCategoryId": 338937295 + k} for k in range(rng.randrange(1, 4))],
                      "seatMapImage": None, "start": 1372701600000 + i * 86400000, "venueCode": "PLEYEL_PLEYEL"})
    return {"areaNames": areas, "audienceSubCategoryNames": {"337100890": "Abonné"}, "blockNames": {},
            "events": events, "performances": perfs, "seatCategoryNames": {"338937295": "1ère catégorie"},
            "subTopicNames": {"337184269": "Classique"}, "subjectNames": {}, "topicNames": {"107888604": "Genre"},
            "topicSubTopics": {"107888604": [337184269]}, "venueNames": {"PLEYEL_PLEYEL": "Salle Pleyel"}}


def write_citm(path: Path, size: int) -> None:
    """Scale citm: copies k of ``events`` (ids shifted) and ``performances`` until ``size`` bytes.

    Written incrementally (indent 4, raw UTF-8), so a large size never needs the document in memory.
    """
    src = _citm_source()
    events, perfs = src["events"], src["performances"]

    def indented(value, level: int) -> bytes:
        text = json.dumps(value, ensure_ascii=False, indent=4)
        return text.replace("\n", "\n" + "    " * level).encode()

    one_copy = sum(len(indented(v, 2)) + len(k) + 12 for k, v in events.items()) + \
        sum(len(indented(p, 2)) + 10 for p in perfs)
    rest = {k: v for k, v in src.items() if k not in ("events", "performances")}
    fixed = len(indented(rest, 0)) + 200
    copies = max(1, round((size - fixed) / one_copy))
    shift = 10**10
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(b"{\n")
        for key in src:
            if key == "events":
                f.write(b'    "events": {')
                first = True
                for c in range(copies):
                    for k, v in events.items():
                        v = dict(v, id=v["id"] + c * shift) if isinstance(v, dict) and "id" in v else v
                        f.write((b"" if first else b",") + b'\n        "' + str(int(k) + c * shift).encode()
                                + b'": ' + indented(v, 2))
                        first = False
                f.write(b"\n    },\n")
            elif key == "performances":
                f.write(b'    "performances": [')
                first = True
                for c in range(copies):
                    for p in perfs:
                        p = dict(p, id=p["id"] + c * shift, eventId=p["eventId"] + c * shift)
                        f.write((b"" if first else b",") + b"\n        " + indented(p, 2))
                        first = False
                f.write(b"\n    ],\n")
            else:
                f.write(b'    "' + key.encode() + b'": ' + indented(src[key], 1) + b",\n")
        f.seek(f.tell() - 2)  # drop the last ",\n"
        f.truncate()
        f.write(b"\n}\n")
    tmp.rename(path)


# ---------------------------------------------------------------------------------------- rows
def _row_lines() -> list[bytes]:
    """The rows (one JSON array per line, header first) of amazon_cellphones.ndjson, or alike."""
    if corpus_origin() == "corpus":
        return [line + b"\n" for line in (CORPUS / "amazon_cellphones.ndjson").read_bytes().splitlines() if line]
    rng = random.Random(11)
    brands = ["Nokia", "Motorola", "Samsung", "Apple", "Xiaomi", "Sony", "Huawei"]
    lines = [b'["asin","brand","title","url","image","rating","reviewUrl","totalReviews","prices"]\n']
    for i in range(800):
        asin = f"B0{rng.randrange(16**8):08X}"
        brand = rng.choice(brands)
        row = [asin, brand, f"{brand} phone {rng.randrange(1000)} – {rng.choice(['Black', 'Blanc', 'Grün'])}",
               f"https://www.amazon.com/dp/{asin}", f"https://m.media-amazon.com/images/I/{asin}.jpg",
               rng.choice([1, 2, 3, 3.5, 4, 4.5, 5]), f"https://www.amazon.com/product-reviews/{asin}",
               rng.randrange(2000), rng.choice(["", f"${rng.randrange(20, 900)}.99"])]
        lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
    return lines


def write_rows_ndjson(path: Path, size: int) -> None:
    _write_until(path, size, b"", _cycle(_row_lines()), b"", b"")


WRITERS = {"twitter.json": write_twitter, "twitter.ndjson": write_twitter_ndjson, "citm.json": write_citm,
           "rows.ndjson": write_rows_ndjson}


def ensure(kind: str, size: int, data_dir: Path = DATA) -> Path:
    """Path of the ``kind`` input at ``size`` (one of WRITERS), generating it when missing."""
    stem, ext = kind.split(".")
    path = data_dir / f"{stem}-{size_label(size)}-{corpus_origin()}.{ext}"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        WRITERS[kind](path, size)
    return path
