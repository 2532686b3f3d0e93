"""Lambda-shaped entry point for staging (the seed's streamGlacierToS3).

Same code as `jsonm stage`.  Staging stops cleanly before the function's time budget runs out
and reports `complete: false`; invoking again with the same event continues where it stopped
(chunks already in the warm bucket are found by key + sha256 and not staged again).  The live
manifest is rewritten after every chunk, so the page can start before staging finishes.

Event::

    {"source": "s3://cold/key", "warm": "s3://warm/jobs",
     "chunk_size": 67108864, "gzip": true, "align": "records", "format": "auto",
     "expires": 86400, "no_copy": false,
     "results": "s3://results/jobs", "checkpoints": "s3://checkpoints/jobs",
     "endpoint_url": null}

Defaults for warm/results/checkpoints come from the WARM_URL, RESULTS_URL, CHECKPOINTS_URL
environment variables (set by the CloudFormation template).
"""

from __future__ import annotations

import os
from typing import Any

from jsonm_core.cloud.s3 import CloudError, make_client
from jsonm_core.cloud.staging import DEFAULT_CHUNK, DEFAULT_EXPIRES, StageOptions, stage

SAFETY_MS = 30_000  # stop this long before the Lambda time limit


def handler(event: dict, context: Any = None) -> dict:
    """Stage `event["source"]`; returns the job id, manifest location/URL and progress."""
    env = os.environ
    source = event.get("source")
    warm = event.get("warm") or env.get("WARM_URL")
    if not source or not warm:
        return {"ok": False, "error": "event needs 'source' and 'warm' (or WARM_URL)"}
    opts = StageOptions(chunk_size=int(event.get("chunk_size") or DEFAULT_CHUNK),
                        gzip=bool(event.get("gzip", False)), align=event.get("align"),
                        expires=int(event.get("expires") or DEFAULT_EXPIRES),
                        no_copy=bool(event.get("no_copy", False)),
                        format=event.get("format") or "auto",
                        results=event.get("results") or env.get("RESULTS_URL"),
                        checkpoints=event.get("checkpoints") or env.get("CHECKPOINTS_URL"))
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    should_stop = (lambda: remaining() < SAFETY_MS) if remaining else None
    s3 = make_client(event.get("endpoint_url") or env.get("JSONM_ENDPOINT_URL"))
    try:
        res = stage(s3, source, warm, opts, should_stop=should_stop)
    except (CloudError, ValueError) as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "job_id": res.job_id, "complete": res.complete, "parts": res.parts,
            "staged": res.staged, "skipped": res.skipped, "manifest": res.manifest_s3,
            "manifest_url": res.manifest_url}
