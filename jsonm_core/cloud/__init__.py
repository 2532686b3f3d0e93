"""CPython-only cloud tier: cold archive -> restore -> warm chunks -> presigned manifest.

Modules: `s3` (clients, errors), `ops` (upload, restore, refresh, cleanup), `staging` (chunks +
live manifest), `handler` (Lambda entry), `buckets` (CORS, lifecycle), `local_s3` (embedded
endpoint), `demo` (generated demo job), `fetch` / `scan` (read a job through its manifest with
urllib only), `cli` (the commands).  Deliberately imports nothing here: `fetch` and `scan` work
without boto3 installed.
"""
