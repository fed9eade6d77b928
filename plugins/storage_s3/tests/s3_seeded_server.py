"""A moto S3 server holding one bucket of many objects, seeded in-process (fast).

``python s3_seeded_server.py PORT BUCKET COUNT``: objects ``images/<i % 10>/<i>.jpg`` for
``i < COUNT``, plus ``images/notes.txt`` and ``other/x.jpg``; prints ``ready`` once it
serves, then runs until killed. Putting objects over HTTP runs at ~200/s on moto; this
seeds 100,000 in seconds, and lsplug still reads them over the real S3 API.
"""

from __future__ import annotations

import sys
import time

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer


def seed(bucket: str, count: int) -> None:
    """Create the bucket and its objects straight in moto's backend."""
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    backend.create_bucket(bucket, "us-east-1")
    for i in range(count):
        backend.put_object(bucket, f"images/{i % 10}/{i}.jpg", b"x")
    backend.put_object(bucket, "images/notes.txt", b"x")
    backend.put_object(bucket, "other/x.jpg", b"x")


def main() -> None:
    """Seed, serve, say ready, wait."""
    port, bucket, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    seed(bucket, count)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
