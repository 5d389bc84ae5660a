"""CloudLoadSession and load_to_cloud_storage against real S3 servers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator.cloud.s3 import S3Client
from pycharter_gui.etl_generator.errors import LoadError
from pycharter_gui.etl_generator.loaders.base import open_load_session
from pycharter_gui.etl_generator.loaders.cloud import CloudLoadSession, load_to_cloud_storage


def keys_in(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    resp = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in resp.get("Contents", []))


def pending_uploads(s3: Any, bucket: str) -> list[str]:
    """Keys of multipart uploads started and neither completed nor aborted."""
    return [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]

ROWS = [{"id": i, "name": f"n{i}", "day": "2024-01-0" + str(1 + i % 2)} for i in range(1, 8)]


def read_object(s3: Any, bucket: str, key: str, fmt: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if fmt == "json":
        return json.loads(body)
    if fmt == "jsonl":
        return [json.loads(line) for line in body.decode().splitlines() if line]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        return [{**r, "id": int(r["id"])} for r in rows]
    return pq.read_table(io.BytesIO(body)).to_pylist()


async def run_session(cfg: dict[str, Any], batches: list[list[dict[str, Any]]], *,
                      dry_run: bool = False, run_key: str = "run-1") -> dict[str, Any]:
    session = open_load_session(_canonical(cfg), dry_run=dry_run, run_key=run_key)
    assert isinstance(session, CloudLoadSession)
    await session.open()
    try:
        for i, batch in enumerate(batches):
            await session.write_batch(batch, i)
        return await session.commit()
    except BaseException:
        await session.abort()
        raise


def _canonical(cfg: dict[str, Any]) -> dict[str, Any]:
    from pycharter_gui.etl_generator.config import normalize_load

    return normalize_load({"type": "cloud_storage", **cfg})


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "parquet"])
async def test_one_object_per_run(s3: Any, bucket: str, storage: Any, fmt: str) -> None:
    s3.put_object(Bucket=bucket, Key=f"out/data.{fmt}", Body=b"old content")
    out = await run_session({"storage": storage(path=f"out/data.{fmt}")},
                            [ROWS[:3], ROWS[3:6], ROWS[6:]])
    assert out["written"] == 7 and out["provider"] == "s3"
    assert out["path"] == f"s3://{bucket}/out/data.{fmt}"
    assert keys_in(s3, bucket) == [f"out/data.{fmt}"]  # every batch kept, old one replaced
    assert read_object(s3, bucket, f"out/data.{fmt}", fmt) == ROWS
    ctype = s3.head_object(Bucket=bucket, Key=f"out/data.{fmt}")["ContentType"]
    assert ctype == {"json": "application/json", "jsonl": "application/x-ndjson",
                     "csv": "text/csv", "parquet": "application/octet-stream"}[fmt]


async def test_append_adds_to_the_existing_object(s3: Any, bucket: str, storage: Any) -> None:
    cfg = {"storage": storage(path="out/data.jsonl")}
    await run_session(cfg, [ROWS[:2]])
    await run_session({**cfg, "write_mode": "append"}, [ROWS[2:4]], run_key="run-2")
    assert read_object(s3, bucket, "out/data.jsonl", "jsonl") == ROWS[:4]


async def test_partitioned_parts_and_overwrite_of_earlier_runs(
        s3: Any, bucket: str, storage: Any) -> None:
    cfg = {"storage": storage(path="out/parts/"), "format": "csv"}
    first = await run_session(cfg, [ROWS[:3], ROWS[3:]], run_key="a")
    keys = keys_in(s3, bucket)
    assert len(keys) == 2 and keys[0].startswith("out/parts/part-00001-")
    assert keys[1].startswith("out/parts/part-00002-") and keys[1].endswith(".csv")
    assert len(first["objects"]) == 2
    await run_session(cfg, [ROWS[:1]], run_key="b")
    keys = keys_in(s3, bucket)
    assert len(keys) == 1 and read_object(s3, bucket, keys[0], "csv") == ROWS[:1]


async def test_partition_by_date_template_and_columns(s3: Any, bucket: str, storage: Any
                                                      ) -> None:
    today = dt.datetime.now(dt.UTC)
    cfg = {"storage": storage(path="out/data.json"), "partition_by": ["year={year}/month={month}"]}
    await run_session(cfg, [ROWS])
    key = f"out/year={today:%Y}/month={today:%m}/data.json"
    assert keys_in(s3, bucket) == [key]
    assert read_object(s3, bucket, key, "json") == ROWS
    cols = {"storage": storage(path="by_day/"), "format": "jsonl", "partition_by": ["day"]}
    await run_session(cols, [ROWS])
    keys = keys_in(s3, bucket, "by_day/")
    assert [k.split("/")[1] for k in keys] == ["day=2024-01-01", "day=2024-01-02"]
    back = [r for k in keys for r in read_object(s3, bucket, k, "jsonl")]
    assert sorted(r["id"] for r in back) == [r["id"] for r in ROWS]


async def test_dry_run_uploads_nothing(s3: Any, bucket: str, storage: Any) -> None:
    for path in ("out/data.csv", "out/parts/"):
        out = await run_session({"storage": storage(path=path), "format": "csv"}, [ROWS],
                                dry_run=True)
        assert out["dry_run"] is True and out["written"] == 7
    assert keys_in(s3, bucket) == []


async def test_large_output_uses_multipart(s3: Any, bucket: str, storage: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S3Client, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
    monkeypatch.setattr(S3Client, "PART_SIZE", 5 * 1024 * 1024)
    calls: list[str] = []
    _spy_parts(monkeypatch, calls)
    rows = [{"id": i, "pad": "x" * 500} for i in range(25_000)]  # ~13 MB of JSON Lines
    batches = [rows[i:i + 5000] for i in range(0, len(rows), 5000)]
    out = await run_session({"storage": storage(path="big/out.jsonl")}, batches)
    assert out["written"] == 25_000
    assert calls.count("UploadPart") >= 3 and "CompleteMultipartUpload" in calls
    assert read_object(s3, bucket, "big/out.jsonl", "jsonl") == rows


def _spy_parts(monkeypatch: pytest.MonkeyPatch, calls: list[str], fail_on_part: int = 0
               ) -> None:
    real_init = S3Client.__init__

    def init(self: S3Client, location: Any) -> None:
        real_init(self, location)

        def before(model: Any, params: Any, **_: Any) -> None:
            calls.append(model.name)
            if (fail_on_part and model.name == "UploadPart"
                    and params.get("PartNumber") == fail_on_part):
                raise ConnectionResetError("injected failure in the middle of the upload")

        self.s3.meta.events.register("before-parameter-build.s3", before)

    monkeypatch.setattr(S3Client, "__init__", init)


async def test_failed_multipart_upload_leaves_nothing(s3: Any, bucket: str, storage: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(S3Client, "MULTIPART_THRESHOLD", 5 * 1024 * 1024)
    monkeypatch.setattr(S3Client, "PART_SIZE", 5 * 1024 * 1024)
    calls: list[str] = []
    _spy_parts(monkeypatch, calls, fail_on_part=2)
    rows = [{"id": i, "pad": "y" * 500} for i in range(25_000)]
    with pytest.raises(Exception, match="injected failure"):
        await run_session({"storage": storage(path="big/out.jsonl")}, [rows])
    assert "CreateMultipartUpload" in calls and "CompleteMultipartUpload" not in calls
    assert keys_in(s3, bucket) == []
    assert pending_uploads(s3, bucket) == []  # the multipart upload was aborted


async def test_missing_bucket_is_a_clear_load_error(storage: Any) -> None:
    cfg = {"storage": {**storage(path="out/x.json"), "bucket": "no-such-bucket-z"}}
    with pytest.raises(LoadError) as err:
        await run_session(cfg, [ROWS])
    text = str(err.value)
    assert "no-such-bucket-z" in text and "out/x.json" in text and "NoSuchBucket" in text


def test_load_to_cloud_storage_function(s3: Any, bucket: str, storage: Any) -> None:
    out = load_to_cloud_storage(ROWS, {"type": "cloud_storage",
                                       "storage": storage(path="fn/data.parquet")})
    assert out == {"written": 7, "total": 7, "path": f"s3://{bucket}/fn/data.parquet",
                   "format": "parquet", "provider": "s3", "rejected": 0}
    assert read_object(s3, bucket, "fn/data.parquet", "parquet") == ROWS
    from pycharter_gui.etl_generator.loaders import load_to_cloud_storage as public

    again = public(ROWS[:2], {"storage": storage(path="fn/data.parquet")})
    assert again["written"] == 2
    assert read_object(s3, bucket, "fn/data.parquet", "parquet") == ROWS[:2]


async def test_resume_keeps_committed_parts(s3: Any, bucket: str, storage: Any) -> None:
    cfg = _canonical({"storage": storage(path="res/"), "format": "jsonl"})
    killed = CloudLoadSession(cfg, dry_run=False, run_key="job-7")
    await killed.open()
    for i, batch in enumerate([ROWS[:2], ROWS[2:4], ROWS[4:5]]):
        await killed.write_batch(batch, i)
    # the run died after batch 2 was checkpointed; batch 3's part is not committed
    again = CloudLoadSession(cfg, dry_run=False, run_key="job-7")
    await again.open(resume_batches=2)
    await again.write_batch(ROWS[4:], 2)
    await again.commit()
    keys = keys_in(s3, bucket, "res/")
    assert len(keys) == 3
    assert [r for k in keys for r in read_object(s3, bucket, k, "jsonl")] == ROWS
