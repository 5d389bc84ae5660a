"""Google Cloud Storage extract and load against a real fake-gcs-server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from emulators import GcsAdmin, decode, encode, gcs_endpoint  # noqa: F401 - fixture

from pycharter_gui.etl_generator.cloud.base import StorageLocation, get_client
from pycharter_gui.etl_generator.config import normalize_extract, normalize_load
from pycharter_gui.etl_generator.errors import FatalSourceError, LoadError, RetriableSourceError
from pycharter_gui.etl_generator.extractors.cloud_storage import (
    CloudStorageExtractor,
    test_connection,
)
from pycharter_gui.etl_generator.extractors.factory import extract_with_pagination_streaming
from pycharter_gui.etl_generator.loaders.base import open_load_session
from pycharter_gui.etl_generator.loaders.cloud import CloudLoadSession, load_to_cloud_storage

ROWS = [{"id": i, "name": f"n{i}", "day": f"2024-01-0{1 + i % 2}"} for i in range(1, 8)]


@pytest.fixture(scope="module")
def admin(gcs_endpoint: str) -> GcsAdmin:  # noqa: F811
    return GcsAdmin(gcs_endpoint)


@pytest.fixture
def bucket(admin: GcsAdmin) -> str:
    return admin.new_bucket()


def storage(admin: GcsAdmin, bucket: str, **keys: Any) -> dict[str, Any]:
    return {"provider": "gcs", "bucket": bucket, "endpoint_url": admin.endpoint, **keys}


async def extract(cfg: dict[str, Any], **kw: Any) -> list[list[dict[str, Any]]]:
    canonical = normalize_extract({"type": "cloud_storage", **cfg})
    ex = CloudStorageExtractor()
    ex.validate_config(canonical)
    return [b async for b in ex.extract_streaming(canonical, None, None, **kw)]


def flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b]


async def load(cfg: dict[str, Any], batches: list[list[dict[str, Any]]], *,
               dry_run: bool = False, run_key: str = "run-1") -> dict[str, Any]:
    session = open_load_session(normalize_load({"type": "cloud_storage", **cfg}),
                                dry_run=dry_run, run_key=run_key)
    assert isinstance(session, CloudLoadSession)
    await session.open()
    try:
        for i, batch in enumerate(batches):
            await session.write_batch(batch, i)
        return await session.commit()
    except BaseException:
        await session.abort()
        raise


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
async def test_extract_one_object(admin: GcsAdmin, bucket: str, fmt: str) -> None:
    admin.put(bucket, f"in/data.{fmt}", encode(ROWS, fmt))
    batches = await extract({"storage": storage(admin, bucket, path=f"in/data.{fmt}")},
                            batch_size=3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert flat(batches) == ROWS


async def test_extract_prefix_glob_and_pattern(admin: GcsAdmin, bucket: str) -> None:
    admin.put(bucket, "in/2024/b.jsonl", encode(ROWS[2:4], "jsonl"))
    admin.put(bucket, "in/2024/a.csv", encode(ROWS[:2], "csv"))
    admin.put(bucket, "in/2025/c.parquet", encode(ROWS[4:], "parquet"))
    admin.put(bucket, "in/notes.txt", b"not data")
    admin.put(bucket, "other/d.csv", encode(ROWS, "csv"))
    cfg = {"storage": storage(admin, bucket, path="in/2024/"), "source_file_column": "src"}
    by_prefix = flat(await extract(cfg))
    assert [r["id"] for r in by_prefix] == [1, 2, 3, 4]
    assert [r["src"] for r in by_prefix] == ["in/2024/a.csv"] * 2 + ["in/2024/b.jsonl"] * 2
    glob = await extract({"storage": storage(admin, bucket, path="in/*/*.csv")})
    assert flat(glob) == ROWS[:2]
    recursive = await extract({"storage": storage(admin, bucket, path="in/**/*.parquet")})
    assert flat(recursive) == ROWS[4:]
    pattern = await extract({"storage": storage(admin, bucket, prefix="in/", pattern="*.jsonl")})
    assert flat(pattern) == ROWS[2:4]
    capped = [b async for b in extract_with_pagination_streaming(
        {"storage": storage(admin, bucket, path="other/d.csv")}, batch_size=2, max_records=3)]
    assert [r["id"] for r in flat(capped)] == [1, 2, 3]


async def test_first_batch_before_the_whole_object(admin: GcsAdmin, bucket: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pycharter_gui.etl_generator.cloud.gcs import GCSClient
    from pycharter_gui.etl_generator.readers import iter_batches

    monkeypatch.setattr(GCSClient, "READ_CHUNK", 256 * 1024)
    rows = [{"id": i, "pad": "x" * 200} for i in range(40_000)]
    body = encode(rows, "jsonl")
    admin.put(bucket, "big/data.jsonl", body)
    client = get_client(StorageLocation(provider="gcs", bucket=bucket,
                                        endpoint_url=admin.endpoint))
    stream = client.open_stream("big/data.jsonl")
    reader = stream.raw._body  # type: ignore[attr-defined]
    first = next(iter_batches(stream, "jsonl", {}, 100))
    assert [r["id"] for r in first] == list(range(100))
    assert reader._pos < len(body) // 4  # only the head of the object was fetched
    stream.close()
    client.close()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
async def test_load_one_object(admin: GcsAdmin, bucket: str, fmt: str) -> None:
    admin.put(bucket, f"out/data.{fmt}", b"old content")
    out = await load({"storage": storage(admin, bucket, path=f"out/data.{fmt}")},
                     [ROWS[:3], ROWS[3:6], ROWS[6:]])
    assert out["written"] == 7 and out["path"] == f"gs://{bucket}/out/data.{fmt}"
    assert admin.keys(bucket) == [f"out/data.{fmt}"]
    back = decode(admin.get(bucket, f"out/data.{fmt}"), fmt)
    expected = [{k: str(v) for k, v in r.items()} for r in ROWS] if fmt == "csv" else ROWS
    assert back == expected
    assert admin.content_type(bucket, f"out/data.{fmt}") == {
        "csv": "text/csv", "jsonl": "application/x-ndjson",
        "parquet": "application/octet-stream"}[fmt]


async def test_load_partitioned_and_overwrite(admin: GcsAdmin, bucket: str) -> None:
    cfg = {"storage": storage(admin, bucket, path="parts/"), "format": "jsonl"}
    await load(cfg, [ROWS[:3], ROWS[3:]], run_key="a")
    keys = admin.keys(bucket)
    assert [k.split("-")[1] for k in keys] == ["00001", "00002"]
    assert [r for k in keys for r in decode(admin.get(bucket, k), "jsonl")] == ROWS
    await load(cfg, [ROWS[:1]], run_key="b")  # overwrite removes the earlier run's parts
    keys = admin.keys(bucket)
    assert len(keys) == 1 and decode(admin.get(bucket, keys[0]), "jsonl") == ROWS[:1]
    by_day = {"storage": storage(admin, bucket, path="by_day/"), "format": "parquet",
              "partition_by": ["day"]}
    await load(by_day, [ROWS])
    keys = admin.keys(bucket, "by_day/")
    assert [k.split("/")[1] for k in keys] == ["day=2024-01-01", "day=2024-01-02"]
    back = [r for k in keys for r in decode(admin.get(bucket, k), "parquet")]
    assert sorted(r["id"] for r in back) == [r["id"] for r in ROWS]


async def test_dry_run_uploads_nothing(admin: GcsAdmin, bucket: str) -> None:
    for path in ("out/data.csv", "out/parts/"):
        out = await load({"storage": storage(admin, bucket, path=path), "format": "csv"},
                         [ROWS], dry_run=True)
        assert out["dry_run"] is True and out["written"] == 7
    assert admin.keys(bucket) == []


def test_load_function_and_connection_test(admin: GcsAdmin, bucket: str) -> None:
    out = load_to_cloud_storage(ROWS, {"type": "cloud_storage",
                                       "storage": storage(admin, bucket, path="fn/d.parquet")})
    assert out["written"] == 7 and out["provider"] == "gcs"
    assert decode(admin.get(bucket, "fn/d.parquet"), "parquet") == ROWS
    ok = test_connection({"storage": storage(admin, bucket, path="fn/")})
    assert ok["ok"] is True and ok["details"]["sample_keys"] == ["fn/d.parquet"]


async def test_missing_bucket_messages(admin: GcsAdmin, bucket: str) -> None:
    missing = storage(admin, "no-such-bucket-g", path="in/a.csv")
    with pytest.raises(FatalSourceError) as err:
        await extract({"storage": missing})
    text = str(err.value)
    assert "no-such-bucket-g" in text and "does not exist" in text and "storage.bucket" in text
    with pytest.raises(FatalSourceError) as err:
        await extract({"storage": storage(admin, bucket, path="in/missing.csv")})
    assert "in/missing.csv" in str(err.value) and "storage.path" in str(err.value)
    with pytest.raises(LoadError) as err:
        await load({"storage": storage(admin, "no-such-bucket-g", path="out/x.json")}, [ROWS])
    assert "no-such-bucket-g" in str(err.value) and "out/x.json" in str(err.value)
    bad = test_connection({"storage": storage(admin, "no-such-bucket-g", path="in/")})
    assert bad["ok"] is False and bad["details"]["kind"] == "no_bucket"


async def test_unreachable_endpoint_is_retriable(monkeypatch: pytest.MonkeyPatch) -> None:
    from pycharter_gui.etl_generator.cloud.gcs import GCSClient

    monkeypatch.setattr(GCSClient, "RETRY_SECONDS", 0.5)
    cfg = {"storage": {"provider": "gcs", "bucket": "b", "path": "in/",
                       "endpoint_url": "http://127.0.0.1:9"}}
    with pytest.raises(RetriableSourceError) as err:
        await extract(cfg)
    assert "127.0.0.1:9" in str(err.value) and "endpoint_url" in str(err.value)


async def test_failed_resumable_upload_leaves_the_old_object(
        admin: GcsAdmin, bucket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from google.cloud.storage._media.requests.upload import ResumableUpload

    from pycharter_gui.etl_generator.cloud.gcs import GCSClient

    monkeypatch.setattr(GCSClient, "UPLOAD_CHUNK", 1024 * 1024)
    monkeypatch.setattr(GCSClient, "RETRY_SECONDS", 0.5)
    chunks: list[int] = []
    real = ResumableUpload.transmit_next_chunk

    def transmit(self: Any, *args: Any, **kw: Any) -> Any:
        chunks.append(1)
        if len(chunks) == 3:
            raise ConnectionResetError("injected failure in the middle of the upload")
        return real(self, *args, **kw)

    monkeypatch.setattr(ResumableUpload, "transmit_next_chunk", transmit)
    admin.put(bucket, "big/out.jsonl", b'{"id": 0}\n')
    rows = [{"id": i, "pad": "y" * 500} for i in range(20_000)]  # ~10 MB: resumable upload
    with pytest.raises(LoadError, match="injected failure"):
        await load({"storage": storage(admin, bucket, path="big/out.jsonl")}, [rows])
    assert len(chunks) == 3  # two chunks were accepted before the failure
    assert admin.keys(bucket) == ["big/out.jsonl"]
    assert decode(admin.get(bucket, "big/out.jsonl"), "jsonl") == [{"id": 0}]
    monkeypatch.setattr(ResumableUpload, "transmit_next_chunk", real)
    await load({"storage": storage(admin, bucket, path="big/out.jsonl")}, [rows])
    assert decode(admin.get(bucket, "big/out.jsonl"), "jsonl") == rows
