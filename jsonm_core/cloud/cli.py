"""`jsonm` cloud commands: local-s3, init-buckets, upload, restore, stage, manifest, cleanup,
cost, demo.  Exit 0 ok, 1 failed (one line on stderr), 2 usage (`UsageError`)."""

from __future__ import annotations

import argparse
import functools
import re
import signal
import sys
import threading
from decimal import Decimal
from typing import Any, Callable

from jsonm_core import cost, manifest
from jsonm_core.cli import UsageError

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """'90s', '30m', '24h', '7d' or plain seconds -> seconds."""
    m = _DURATION.match(text)
    if not m or int(m.group(1)) <= 0:
        raise UsageError(f"not a duration: {text!r} (e.g. 90s, 30m, 24h, 7d)")
    return int(m.group(1)) * _DURATION_UNITS[m.group(2)]


def parse_size(text: str) -> int:
    try:
        return cost.parse_size(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class Progress:
    """One rewritten status line on stderr when it is a TTY; silent otherwise."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.shown = False

    def __call__(self, text: str) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            self.shown = False


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def command(fn: Callable[[argparse.Namespace], int | None]) -> Callable[[argparse.Namespace], int]:
    """Map failures to one line + exit 1, bad arguments to UsageError (exit 2); no tracebacks."""
    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        from jsonm_core.cloud.fetch import FetchError
        from jsonm_core.cloud.s3 import CloudError, explain

        try:
            return int(fn(args) or 0)
        except UsageError:
            raise
        except (CloudError, FetchError, manifest.ManifestError, cost.PriceError) as exc:
            _say(f"jsonm: {exc}")
            return 1
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        except ImportError as exc:
            _say(f"jsonm: this command needs the cloud extra (pip install 'jsonm-core[cloud]'): {exc}")
            return 1
        except Exception as exc:  # noqa: BLE001 - botocore errors and OSError, one line each
            mod = type(exc).__module__ or ""
            if mod.startswith(("botocore", "boto3", "s3transfer")) or isinstance(exc, OSError):
                _say(f"jsonm: {explain(exc)}")
                return 1
            raise
    return run


def _client(args: argparse.Namespace) -> Any:
    from jsonm_core.cloud.s3 import make_client
    return make_client(args.endpoint_url, profile=args.profile, region=args.region)


def _endpoint_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("S3 endpoint")
    g.add_argument("--endpoint-url", help="S3-compatible endpoint (default: AWS, or "
                   "$JSONM_ENDPOINT_URL / $AWS_ENDPOINT_URL)")
    g.add_argument("--profile", help="AWS profile name")
    g.add_argument("--region", help="AWS region")


# ---------------------------------------------------------------------------- commands

@command
def cmd_local_s3(args: argparse.Namespace) -> int:
    from jsonm_core.cloud.local_s3 import start_local_s3

    handle = start_local_s3(args.host, args.port, args.state)
    print(handle.endpoint_url, flush=True)
    _say(f"jsonm: local S3 endpoint at {handle.endpoint_url}"
         + (f", state in {args.state}" if args.state else " (in memory)") + "; Ctrl-C to stop")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


@command
def cmd_init_buckets(args: argparse.Namespace) -> int:
    from jsonm_core.cloud.buckets import BucketNames, init_buckets

    base = BucketNames.with_prefix(args.prefix)
    names = BucketNames(args.cold or base.cold, args.warm or base.warm,
                        args.results or base.results, args.checkpoints or base.checkpoints)
    made = init_buckets(_client(args), names, origins=args.origin or ["*"],
                        warm_days=args.warm_days, region=args.region)
    for role, bucket in made.items():
        print(f"{role}\ts3://{bucket}")
    return 0


@command
def cmd_upload(args: argparse.Namespace) -> int:
    from jsonm_core.cloud import ops

    bar = Progress()
    sent = [0]

    def on_bytes(n: int) -> None:
        sent[0] += n
        bar(f"uploading {cost.format_size(sent[0])}")

    res = ops.upload(_client(args), args.file, args.dest, storage_class=args.storage_class,
                     chunk_size=args.chunk_size, progress=on_bytes)
    bar.done()
    print(f"{res.url}\tsize={res.size}\tetag={res.etag}\tstorage_class={res.storage_class}\t"
          f"estimated_chunks={res.estimated_chunks}")
    return 0


@command
def cmd_restore(args: argparse.Namespace) -> int:
    from jsonm_core.cloud import ops

    s3 = _client(args)
    st = ops.restore(s3, args.src, tier=args.tier, days=args.days)
    if st.state == "standard":
        _say(f"jsonm: {args.src} is in {st.storage_class}; no restore needed")
        return 0
    _say(f"jsonm: {args.src} ({st.storage_class}) restore {st.state}, tier {args.tier}: expected "
         f"wait ~{st.expected_hours} h, retrieval cost ~${st.retrieval_usd:.4f}; "
         f"the restored copy lasts {args.days} days")
    if args.wait and st.state != "restored":
        bar = Progress()
        ticks = [0]

        def on_poll(state: str) -> None:
            ticks[0] += 1
            bar(f"waiting for restore ({state}, poll {ticks[0]})")

        ops.wait_restored(s3, args.src, poll=args.poll, on_poll=on_poll)
        bar.done()
        st.state = "restored"
    print(st.state)
    return 0


@command
def cmd_stage(args: argparse.Namespace) -> int:
    from jsonm_core.cloud.staging import StageOptions, stage

    prices = cost.load_prices(args.prices) if args.prices else None
    opts = StageOptions(chunk_size=args.chunk_size, gzip=args.gzip, align=args.align,
                        expires=args.expires, no_copy=args.no_copy, format=args.format,
                        results=args.results, checkpoints=args.checkpoints, prices=prices)
    bar = Progress()

    def on_chunk(ev: dict) -> None:
        pct = 100 * ev["end"] / ev["size"] if ev["size"] else 100
        bar(f"part {ev['index']} [{ev['start']}, {ev['end']}) {pct:5.1f}%  "
            f"staged {ev['staged']}, already there {ev['skipped']}")

    res = stage(_client(args), args.src, args.warm, opts, progress=on_chunk)
    bar.done()
    _say(f"jsonm: job {res.job_id}: {res.parts} parts ({res.staged} staged, {res.skipped} "
         f"already there), manifest {res.manifest_s3}")
    print(res.manifest_url)
    return 0


@command
def cmd_manifest_refresh(args: argparse.Namespace) -> int:
    from jsonm_core.cloud import ops

    url, obj = ops.refresh(_client(args), args.manifest, expires=args.expires, warm=args.warm)
    _say(f"jsonm: job {obj['job_id']}: {len(obj['parts'])} parts re-signed")
    print(url)
    return 0


@command
def cmd_manifest_validate(args: argparse.Namespace) -> int:
    src = args.manifest
    if src.startswith(("http://", "https://")):
        from jsonm_core.cloud.fetch import fetch_manifest
        m = fetch_manifest(src)
    else:
        try:
            with open(src, "rb") as fh:
                m = manifest.loads(fh.read())
        except OSError as exc:
            raise UsageError(f"{src}: {exc.strerror}") from None
    expired = m.expired_parts()
    print(f"ok: job {m.job_id}, {len(m.parts)} parts, {m.covered_bytes} of {m.source['size']} "
          f"bytes, {'complete' if m.complete else 'still staging'}"
          + (f", {len(expired)} expired URLs" if expired else ""))
    return 0


@command
def cmd_cleanup(args: argparse.Namespace) -> int:
    from jsonm_core.cloud import ops

    n = ops.cleanup(_client(args), args.job, warm=args.warm)
    _say(f"jsonm: deleted {n} objects")
    return 0


@command
def cmd_cost(args: argparse.Namespace) -> int:
    import json

    prices = cost.load_prices(args.prices)
    size = args.size
    seed = cost.seed_estimate(Decimal(size) / Decimal(cost.GB))
    full = cost.estimate(size, chunk_size=args.chunk_size, tier=args.tier,
                         storage_class=args.storage_class, warm_days=args.warm_days,
                         prices=prices)
    if args.json:
        print(json.dumps({"seed": seed, "estimate": full}, indent=2))
        return 0
    print(f"size {cost.format_size(size)} = {size / cost.GB:g} GB -> tier {cost.seed_tier(size)}")
    print("seed estimate (architecture note):")
    print(f"  glacier storage      ${seed['storage_monthly']:.2f} / month")
    print(f"  s3 warm processing   ${seed['processing_temporary']:.2f}")
    print(f"  data egress          ${seed['transfer_onetime']:.2f}")
    print(f"  total                ${seed['total_estimate']:.2f}")
    print(f"fuller estimate (prices as of {full['prices_as_of']}, {full['storage_class']}, "
          f"{full['tier']} restore, {full['chunks']} chunks of {cost.format_size(full['chunk_size'])}):")
    for item in full["items"]:
        print(f"  {item['name']:<20} ${item['usd']:>12,.4f}  {item['note']}")
    print(f"  {'total':<20} ${full['total']:>12,.4f}")
    return 0


@command
def cmd_demo(args: argparse.Namespace) -> int:
    from jsonm_core.cloud.demo import prepare_demo_job

    job = prepare_demo_job(args.endpoint_url, args.workdir, size_mb=args.size_mb,
                           page_origin=args.origin, chunk_size=args.chunk_size,
                           expires=args.expires, progress=lambda m: _say(f"jsonm: {m}"))
    _say(f"jsonm: demo job {job.job_id}: {job.parts} parts of {job.source} ({job.size} bytes)")
    print(job.manifest_url)
    return 0


# ---------------------------------------------------------------------------- registration

def _size(text: str) -> int:
    try:
        return parse_size(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _manifest_needs_action(args: argparse.Namespace) -> int:
    raise UsageError("manifest: give an action (refresh, validate)")


def register(subparsers: Any) -> None:
    def add(name: str, fn: Callable, help_text: str, parent: Any = subparsers,
            endpoint: bool = True) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text)
        if endpoint:
            _endpoint_args(p)
        p.set_defaults(func=fn)
        return p

    p = add("local-s3", cmd_local_s3, "run the embedded S3-compatible endpoint on loopback",
            endpoint=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--state", metavar="DIR", help="load state from DIR and save it there on stop")

    p = add("init-buckets", cmd_init_buckets,
            "create the cold, warm, results and checkpoint buckets with CORS and lifecycle")
    p.add_argument("--prefix", default="jsonm", help="bucket name prefix (default jsonm)")
    for role in ("cold", "warm", "results", "checkpoints"):
        p.add_argument(f"--{role}", metavar="BUCKET", help=f"name of the {role} bucket")
    p.add_argument("--origin", action="append", help="allowed CORS origin (repeatable; default *)")
    p.add_argument("--warm-days", type=int, default=7, help="warm chunks expire after N days")

    p = add("upload", cmd_upload, "upload a file to the cold tier (multipart when big)")
    p.add_argument("file")
    p.add_argument("dest", metavar="s3://BUCKET/KEY")
    p.add_argument("--storage-class", default="DEEP_ARCHIVE",
                   choices=["DEEP_ARCHIVE", "GLACIER", "STANDARD"])
    p.add_argument("--chunk-size", type=_size, default="64MB",
                   help="chunk size used for the estimated chunk count")

    p = add("restore", cmd_restore, "restore an archived object; --wait polls until done")
    p.add_argument("src", metavar="s3://BUCKET/KEY")
    p.add_argument("--tier", default="Bulk", choices=["Bulk", "Standard", "Expedited"])
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--wait", action="store_true")
    p.add_argument("--poll", type=float, default=60.0, help="seconds between polls (default 60)")

    p = add("stage", cmd_stage, "copy byte ranges into warm chunks and write the manifest")
    p.add_argument("src", metavar="s3://BUCKET/KEY")
    p.add_argument("--warm", required=True, metavar="s3://BUCKET/PREFIX")
    p.add_argument("--chunk-size", type=_size, default="64MB")
    p.add_argument("--gzip", action="store_true", help="store each chunk gzip-compressed")
    p.add_argument("--align", choices=["records"], help="cut chunks at record boundaries")
    p.add_argument("--expires", type=_duration, default="24h",
                   help="lifetime of the presigned URLs (max 7d)")
    p.add_argument("--no-copy", action="store_true",
                   help="reference byte ranges of the restored object instead of copying")
    p.add_argument("--format", default="auto", choices=list(manifest.FORMATS))
    p.add_argument("--results", metavar="s3://BUCKET/PREFIX", help="where results go")
    p.add_argument("--checkpoints", metavar="s3://BUCKET/PREFIX", help="where checkpoints go")
    p.add_argument("--prices", metavar="FILE", help="price table override (JSON)")

    mp = subparsers.add_parser("manifest", help="manifest tools (refresh, validate)")
    msub = mp.add_subparsers(dest="manifest_command", metavar="ACTION")
    mp.set_defaults(func=_manifest_needs_action)
    p = add("refresh", cmd_manifest_refresh, "new presigned URLs for the same job", msub)
    p.add_argument("manifest", metavar="MANIFEST",
                   help="s3://WARM/PREFIX/JOB[/manifest.json], its presigned URL, or JOB with --warm")
    p.add_argument("--warm", metavar="s3://BUCKET/PREFIX")
    p.add_argument("--expires", type=_duration, default="24h")
    p = add("validate", cmd_manifest_validate, "check a manifest file or URL", msub, endpoint=False)
    p.add_argument("manifest", metavar="FILE|URL")

    p = add("cleanup", cmd_cleanup, "delete a job's warm chunks and manifest")
    p.add_argument("job", metavar="JOB", help="s3://WARM/PREFIX/JOB, a manifest URL, or JOB_ID with --warm")
    p.add_argument("--warm", metavar="s3://BUCKET/PREFIX")

    p = add("cost", cmd_cost, "the seed's cost estimate beside a fuller one", endpoint=False)
    p.add_argument("size", type=_size, metavar="SIZE", help="e.g. 1000GB, 1TB, 64MB or bytes")
    p.add_argument("--chunk-size", type=_size, default="100MB")
    p.add_argument("--tier", default="Bulk", choices=["Bulk", "Standard", "Expedited"])
    p.add_argument("--storage-class", default="DEEP_ARCHIVE",
                   choices=["DEEP_ARCHIVE", "GLACIER", "STANDARD"])
    p.add_argument("--warm-days", type=int, default=7)
    p.add_argument("--prices", metavar="FILE", help="JSON overlay on the price table")
    p.add_argument("--json", action="store_true")

    p = add("demo", cmd_demo, "generate, archive, restore and stage the demo job; print its URL")
    p.add_argument("--workdir", default="build/demo")
    p.add_argument("--size-mb", type=float, default=30)
    p.add_argument("--origin", default="*", help="page origin allowed by CORS")
    p.add_argument("--chunk-size", type=_size, default="4MB")
    p.add_argument("--expires", type=_duration, default="24h")
