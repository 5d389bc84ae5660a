"""CloudStorageExtractor against real S3 servers: object, prefix, glob, formats, errors."""

from __future__ import annotations

import gzip
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator.cloud.base import (
    StorageLocation,
    get_client,
    key_selection,
)
from pycharter_gui.etl_generator.config import normalize_extract
from pycharter_gui.etl_generator.errors import FatalSourceError, RetriableSourceError
from pycharter_gui.etl_generator.extractors.cloud_storage import (
    CloudStorageExtractor,
    test_connection,
)
from pycharter_gui.etl_generator.extractors.factory import extract_with_pagination_streaming

ROWS = [{"id": i, "name": f"n{i}", "score": i * 1.5} for i in range(1, 6)]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    lines = ["id,name,score"] + [f"{r['id']},{r['name']},{r['score']}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


async def collect(cfg: dict[str, Any], **kw: Any) -> list[list[dict[str, Any]]]:
    canonical = normalize_extract(cfg)
    canonical.update(kw.pop("extra", {}))
    ex = CloudStorageExtractor()
    ex.validate_config(canonical)
    return [b async for b in ex.extract_streaming(canonical, None, None, **kw)]


def flat(batches: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b]


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet", "csv.gz"])
async def test_one_object_every_format(s3: Any, bucket: str, storage: Any, fmt: str) -> None:
    body = {
        "csv": _csv(ROWS),
        "json": json.dumps(ROWS).encode(),
        "jsonl": "".join(json.dumps(r) + "\n" for r in ROWS).encode(),
        "parquet": _parquet(ROWS),
        "csv.gz": gzip.compress(_csv(ROWS)),
    }[fmt]
    s3.put_object(Bucket=bucket, Key=f"in/data.{fmt}", Body=body)
    batches = await collect({"type": "cloud_storage", "storage": storage(path=f"in/data.{fmt}")},
                            batch_size=2)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert flat(batches) == ROWS


async def test_format_key_overrides_extension(s3: Any, bucket: str, storage: Any) -> None:
    s3.put_object(Bucket=bucket, Key="in/export.dat", Body=_csv(ROWS))
    batches = await collect({"type": "cloud_storage", "format": "csv",
                             "storage": storage(path="in/export.dat")})
    assert flat(batches) == ROWS


async def test_prefix_reads_every_object_in_key_order(s3: Any, bucket: str, storage: Any) -> None:
    s3.put_object(Bucket=bucket, Key="in/b.csv", Body=_csv(ROWS[2:]))
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=_csv(ROWS[:2]))
    s3.put_object(Bucket=bucket, Key="other/c.csv", Body=_csv(ROWS))
    batches = await collect({"type": "cloud_storage", "storage": storage(path="in/")},
                            extra={"source_file_column": "source_key"})
    assert [len(b) for b in batches] == [2, 3]  # batches never span two objects
    assert [r["id"] for r in flat(batches)] == [1, 2, 3, 4, 5]
    assert [r["source_key"] for r in flat(batches)] == ["in/a.csv"] * 2 + ["in/b.csv"] * 3


async def test_prefix_with_pattern_and_glob_path(s3: Any, bucket: str, storage: Any) -> None:
    s3.put_object(Bucket=bucket, Key="in/2024/a.csv", Body=_csv(ROWS[:1]))
    s3.put_object(Bucket=bucket, Key="in/2024/b.jsonl",
                  Body=json.dumps(ROWS[1]).encode() + b"\n")
    s3.put_object(Bucket=bucket, Key="in/2025/c.csv", Body=_csv(ROWS[2:3]))
    s3.put_object(Bucket=bucket, Key="in/notes.txt", Body=b"not data")
    by_pattern = await collect({"type": "cloud_storage",
                                "storage": storage(prefix="in/", pattern="*.csv")})
    assert [r["id"] for r in flat(by_pattern)] == [1, 3]
    by_glob = await collect({"type": "cloud_storage", "storage": storage(path="in/2024/*")})
    assert [r["id"] for r in flat(by_glob)] == [1, 2]
    recursive = await collect({"type": "cloud_storage",
                               "storage": storage(path="in/**/*.csv")})
    assert [r["id"] for r in flat(recursive)] == [1, 3]


async def test_max_records_and_factory_dispatch(s3: Any, bucket: str, storage: Any) -> None:
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=_csv(ROWS))
    cfg = {"storage": storage(path="in/a.csv")}  # type auto-detected from 'storage'
    batches = [b async for b in extract_with_pagination_streaming(cfg, batch_size=2,
                                                                  max_records=3)]
    assert [r["id"] for r in flat(batches)] == [1, 2, 3]


async def test_first_batch_arrives_before_the_object_is_downloaded(
        s3: Any, bucket: str, storage: Any) -> None:
    rows = "".join(json.dumps({"id": i, "pad": "x" * 200}) + "\n" for i in range(40_000))
    body = rows.encode()
    assert len(body) > 8_000_000
    s3.put_object(Bucket=bucket, Key="big/data.jsonl", Body=body)
    loc = StorageLocation(**{"provider": "s3", **_loc_kwargs(storage(path="big/data.jsonl"))})
    client = get_client(loc)
    stream = client.open_stream("big/data.jsonl")
    raw = stream.raw  # type: ignore[attr-defined]
    consumed: list[int] = []
    real_read = raw._body.read

    def counting_read(n: int = -1) -> bytes:
        data = real_read(n)
        consumed.append(len(data))
        return data

    raw._body.read = counting_read
    from pycharter_gui.etl_generator.readers import iter_batches

    first = next(iter_batches(stream, "jsonl", {}, 100))
    assert [r["id"] for r in first] == list(range(100))
    assert sum(consumed) < len(body) // 4  # only a small head of the object was read
    stream.close()
    client.close()


async def test_first_parquet_batch_reads_the_footer_and_one_row_group_not_the_object(
        s3: Any, bucket: str, storage: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pycharter_gui.etl_generator.cloud.s3 import S3Client

    rows = [{"id": i, "pad": f"{i:08d}" * 25} for i in range(200_000)]
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf, row_group_size=20_000, compression="none")
    body = buf.getvalue()
    assert len(body) > 20_000_000
    s3.put_object(Bucket=bucket, Key="big/data.parquet", Body=body)
    fetched: list[int] = []
    real = S3Client.read_range

    def counting(self: Any, key: str, start: int, length: int) -> bytes:
        fetched.append(length)
        return real(self, key, start, length)

    monkeypatch.setattr(S3Client, "read_range", counting)
    canonical = normalize_extract({"type": "cloud_storage", "storage": storage(path="big/data.parquet")})
    stream = CloudStorageExtractor().extract_streaming(canonical, None, None, batch_size=1000)
    first = await anext(stream)
    assert [r["id"] for r in first] == list(range(1000))
    assert 0 < sum(fetched) < len(body) // 4  # the footer and a row group, not a download
    ids = [r["id"] for r in first] + [r["id"] async for batch in stream for r in batch]
    assert ids == list(range(200_000))  # and every row, in order, once read to the end


def _loc_kwargs(storage_map: dict[str, Any]) -> dict[str, Any]:
    creds = storage_map["credentials"]
    return {"bucket": storage_map["bucket"], "path": storage_map.get("path"),
            "endpoint_url": creds["endpoint_url"], "credentials": creds}


async def test_bad_jsonl_lines_go_to_the_callback(s3: Any, bucket: str, storage: Any) -> None:
    s3.put_object(Bucket=bucket, Key="in/a.jsonl", Body=b'{"id": 1}\nnot json\n{"id": 2}\n')
    ex = CloudStorageExtractor()
    seen: list[str] = []
    ex.on_bad_record = lambda record, message: seen.append(message)
    cfg = normalize_extract({"type": "cloud_storage", "storage": storage(path="in/a.jsonl")})
    batches = [b async for b in ex.extract_streaming(cfg, None, None)]
    assert flat(batches) == [{"id": 1}, {"id": 2}]
    assert len(seen) == 1 and "in/a.jsonl line 2" in seen[0]


async def test_missing_bucket_key_and_prefix_messages(s3: Any, bucket: str, storage: Any
                                                      ) -> None:
    with pytest.raises(FatalSourceError) as err:
        await collect({"type": "cloud_storage",
                       "storage": {**storage(path="in/a.csv"), "bucket": "no-such-bucket-x"}})
    text = str(err.value)
    assert "no-such-bucket-x" in text and "NoSuchBucket" in text and "storage.bucket" in text
    with pytest.raises(FatalSourceError) as err:
        await collect({"type": "cloud_storage", "storage": storage(path="in/missing.csv")})
    assert "in/missing.csv" in str(err.value) and bucket in str(err.value)
    assert "storage.path" in str(err.value)
    with pytest.raises(FatalSourceError, match="No object under the prefix 'empty/'"):
        await collect({"type": "cloud_storage", "storage": storage(path="empty/")})


async def test_unreachable_endpoint_and_secrets_not_in_messages(storage: Any) -> None:
    cfg = storage(path="in/a.csv")
    cfg["credentials"] = {**cfg["credentials"], "endpoint_url": "http://127.0.0.1:9",
                          "aws_secret_access_key": "super-secret-value"}
    with pytest.raises(RetriableSourceError) as err:
        await collect({"type": "cloud_storage", "storage": cfg})
    assert "127.0.0.1:9" in str(err.value) and "endpoint_url" in str(err.value)
    assert "super-secret-value" not in str(err.value)
    result = test_connection({"type": "cloud_storage", "storage": cfg})
    assert result["ok"] is False and "super-secret-value" not in result["message"]


def test_connection_lists_the_prefix(s3: Any, bucket: str, storage: Any) -> None:
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=_csv(ROWS))
    ok = test_connection({"type": "cloud_storage", "storage": storage(path="in/")})
    assert ok["ok"] is True and ok["details"]["sample_keys"] == ["in/a.csv"]
    assert bucket in ok["message"]
    bad = test_connection({"type": "cloud_storage",
                           "storage": {**storage(path="in/"), "bucket": "no-such-bucket-y"}})
    assert bad["ok"] is False and "no-such-bucket-y" in bad["message"]
    assert bad["details"]["kind"] == "no_bucket"


def test_key_selection_rules() -> None:
    def sel(**kw: Any) -> Any:
        return key_selection(StorageLocation(provider="s3", bucket="b", **kw))

    assert sel(path="a/b.csv").key == "a/b.csv"
    assert sel(path="a/").prefix == "a/" and sel(path="a/").key is None
    glob = sel(path="a/*/x_*.csv")
    assert glob.prefix == "a/" and glob.matches("a/2024/x_1.csv")
    assert not glob.matches("a/2024/deep/x_1.csv") and not glob.matches("a/2024/y.csv")
    pat = sel(prefix="logs/", pattern="*.jsonl")
    assert pat.matches("logs/2024/01/a.jsonl") and not pat.matches("logs/a.csv")
    assert sel().prefix == "" and sel().key is None
