"""Provider selection, optional SDKs and config problems (no server needed)."""

from __future__ import annotations

import sys

import pytest

from pycharter_gui.etl_generator.cloud.base import (
    StorageLocation,
    get_client,
    mask_text,
    storage_location,
)
from pycharter_gui.etl_generator.errors import ConfigError, NotAvailableError
from pycharter_gui.etl_generator.extractors.cloud_storage import test_connection


@pytest.mark.parametrize(("provider", "module", "extra"), [
    ("gcs", "google.cloud.storage", "gcs"), ("azure", "azure.storage.blob", "azure")])
def test_missing_sdk_names_the_extra(provider: str, module: str, extra: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The dev extra installs both SDKs: hide the one under test, as on a machine without it
    # (a None entry in sys.modules makes its import raise ImportError).
    monkeypatch.setitem(sys.modules, module, None)
    loc = StorageLocation(provider=provider, bucket="b")
    with pytest.raises(NotAvailableError, match=rf"install pycharter-gui\[{extra}\]"):
        get_client(loc)
    result = test_connection({"storage": {"provider": provider, "bucket": "b"}})
    assert result["ok"] is False and f"pycharter-gui[{extra}]" in result["message"]


def test_location_merges_aliases_and_reports_every_problem() -> None:
    loc = storage_location({"storage": {"provider": "AWS", "container": "c", "path": "k.csv",
                                        "credentials": {"endpoint_url": "http://h:1",
                                                        "region": "eu-west-1"}}})
    assert (loc.provider, loc.bucket, loc.endpoint_url, loc.region) == (
        "s3", "c", "http://h:1", "eu-west-1")
    with pytest.raises(ConfigError) as err:
        storage_location({"storage": {"provider": "dropbox"}}, config_file="load.yaml")
    keys = [p.key for p in err.value.problems]
    assert keys == ["storage.provider", "storage.bucket"]
    assert all(p.file == "load.yaml" for p in err.value.problems)


def test_secrets_are_masked_in_messages() -> None:
    loc = StorageLocation(provider="s3", bucket="b", credentials={
        "aws_secret_access_key": "s3cr3t-value", "region": "us-east-1"})
    assert mask_text("failed with s3cr3t-value in us-east-1", loc) == \
        "failed with *** in us-east-1"
