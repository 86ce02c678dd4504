"""S3 invokes this for every object created or removed under uploads/ in the bucket.

Created: the image's width and height are read from its header (PNG's IHDR chunk, JPEG's
start-of-frame marker, GIF's logical screen) - a ranged GET of the first 64 KB, no image
library - and a thumbnail record (the size the image scales to within THUMBNAIL_SIZE,
keeping its proportions) is written to the photos table. Removed: the record is deleted.
Files that are not PNG, JPEG or GIF are passed over.
"""

import os
import struct
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")
photos = boto3.resource("dynamodb").Table(os.environ["PHOTOS_TABLE"])
THUMBNAIL_SIZE = int(os.environ.get("THUMBNAIL_SIZE", "128"))
HEADER_BYTES = 64 * 1024


def handler(event, context):
    done = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
        if record["eventName"].startswith("ObjectRemoved"):
            photos.delete_item(Key={"key": key})
            print(f"{key}: removed")
            done.append(key)
            continue
        head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEADER_BYTES - 1}")
        found = dimensions(head["Body"].read())
        if found is None:
            print(f"{key}: not a PNG, JPEG or GIF; passed over")
            continue
        kind, width, height = found
        thumb_width, thumb_height = thumbnail(width, height, THUMBNAIL_SIZE)
        photos.put_item(
            Item={
                "key": key,
                "bucket": bucket,
                "format": kind,
                "width": width,
                "height": height,
                "thumbnail": {"width": thumb_width, "height": thumb_height},
                "bytes": record["s3"]["object"].get("size", 0),
                "etag": record["s3"]["object"].get("eTag", ""),
            }
        )
        print(f"{key}: {kind} {width}x{height}, thumbnail {thumb_width}x{thumb_height}")
        done.append(key)
    return {"done": done}


def thumbnail(width, height, longest):
    """The size that fits within longest x longest, keeping the proportions (never upscaled)."""
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def dimensions(data):
    """(format, width, height) from an image's first bytes; None when not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg(data)
    return None


# Start-of-frame markers: baseline, extended, progressive, lossless (not DHT, JPG, DAC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data):
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return "jpeg", width, height
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return None
