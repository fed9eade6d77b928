"""`lsplug.config.redact`: passwords and secret query values in URLs are masked, the rest kept."""

from __future__ import annotations

import logging

import pytest

from lsplug.config.redact import MASK, redact_log_records, redact_settings, redact_text, redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://lsplug:pw@db.internal:5432/labels", f"postgresql://lsplug:{MASK}@db.internal:5432/labels"),
        ("http://user:p%40ss@host:9090/", f"http://user:{MASK}@host:9090/"),
        ("http://user:p@ss@host/", f"http://user:{MASK}@host/"),
        ("http://:secret@host/", f"http://:{MASK}@host/"),
        ("http://user@host/", "http://user@host/"),
        ("http://host:9090/predict", "http://host:9090/predict"),
        ("http://h/?token=abc&x=1", f"http://h/?token={MASK}&x=1"),
        ("http://h/?api_key=abc&key=k&sig=s&Signature=S", f"http://h/?api_key={MASK}&key={MASK}&sig={MASK}&Signature={MASK}"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff&versionId=3",
         f"https://b.s3.amazonaws.com/k?X-Amz-Credential={MASK}&X-Amz-Signature={MASK}&versionId=3"),
        ("http://h/?password=p&access_token=t&client_secret=c", f"http://h/?password={MASK}&access_token={MASK}&client_secret={MASK}"),
        ("http://h/?data_key=text&page=2", "http://h/?data_key=text&page=2"),
        ("http://u:pw@[::1", f"http://u:{MASK}@[::1"),
        ("sqlite:data/lsplug.sqlite3", "sqlite:data/lsplug.sqlite3"),
    ],
)  # fmt: skip
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_redact_text_masks_every_url_in_a_message() -> None:
    text = "model http://a:one@h1/ failed; retry http://h2/?token=two (see 'http://b:three@h3')"
    shown = redact_text(text)
    assert not any(secret in shown for secret in ("one", "two", "three"))
    assert "http://a:********@h1/" in shown and "h2" in shown and "http://b:********@h3" in shown


def test_redact_settings_masks_secret_keys_and_urls_and_keeps_the_label_config() -> None:
    settings = {
        "store": {"url": "postgresql://u:pw@db/x"},
        "ml_backends": [{"name": "m", "url": "http://u:pw@m:9090"}],
        "aws_secret_access_key": "abc",
        "label_config": "<View><Image value='http://u:pw@img/x.png'/></View>",
        "port": 8200,
    }
    shown = redact_settings(settings)
    assert shown["store"]["url"] == f"postgresql://u:{MASK}@db/x"
    assert shown["ml_backends"][0]["url"] == f"http://u:{MASK}@m:9090"
    assert shown["aws_secret_access_key"] == MASK
    assert shown["label_config"] == settings["label_config"]
    assert shown["port"] == 8200


def test_log_records_never_show_a_password_in_a_url(caplog: pytest.LogCaptureFixture) -> None:
    factory = logging.getLogRecordFactory()
    try:
        redact_log_records()
        redact_log_records()  # twice: still one layer
        with caplog.at_level(logging.INFO):
            logging.getLogger("lsplug.test").info("cannot reach %s", "http://u:hunter2@h/")
        assert "hunter2" not in caplog.text and "http://u:********@h/" in caplog.text
    finally:
        logging.setLogRecordFactory(factory)
