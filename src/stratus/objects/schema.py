"""The tables of buckets, object versions and multipart uploads. Object bytes are files
(files.py); a row names its file.

Every version of an object is one row of `objects`; the current one has `latest = 1`, so
listing a bucket is an ordered range read of the partial index `objects_current (bucket, key)`
(cost: the page, not the bucket), and a key's versions are read newest first through
`objects_versions`. `seq` grows with every write: it orders versions and is the events'
sequencer. `object_garbage` names files whose rows are gone but which may still be on disk
(removed after the commit; swept at start after a crash in between).
"""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "objects",
    """
CREATE TABLE IF NOT EXISTS buckets (
    name          TEXT PRIMARY KEY,
    region        TEXT NOT NULL,
    created       REAL NOT NULL,            -- epoch seconds
    versioning    TEXT NOT NULL DEFAULT '', -- '' (never), Enabled, Suspended
    ownership     TEXT NOT NULL DEFAULT 'BucketOwnerEnforced',
    public_access TEXT,                     -- JSON PublicAccessBlockConfiguration
    tags          TEXT,                     -- JSON {key: value}
    policy        TEXT,                     -- the policy document as sent
    cors          TEXT,                     -- JSON CORSRules
    acl           TEXT                      -- JSON grants besides the owner's (acls.py)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS objects (
    seq           INTEGER PRIMARY KEY,      -- write order
    bucket        TEXT NOT NULL,
    key           TEXT NOT NULL,
    version_id    TEXT NOT NULL,            -- 'null' unless versioning was on
    latest        INTEGER NOT NULL,
    delete_marker INTEGER NOT NULL DEFAULT 0,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    modified      REAL NOT NULL,
    file          TEXT,                     -- blob name; NULL for empty objects and markers
    headers       TEXT NOT NULL DEFAULT '{}',
    metadata      TEXT NOT NULL DEFAULT '{}',
    checksum      TEXT,                     -- JSON [algorithm, value, type]
    parts         INTEGER,
    tags          TEXT NOT NULL DEFAULT '{}',
    acl           TEXT,                     -- JSON grants besides the owner's (acls.py)
    part_sizes    TEXT,                     -- JSON [size, …] of a multipart object's parts
    part_checksums TEXT                     -- JSON [base64, …] of a COMPOSITE object's parts
);
CREATE UNIQUE INDEX IF NOT EXISTS objects_current ON objects (bucket, key) WHERE latest = 1;
CREATE INDEX IF NOT EXISTS objects_versions ON objects (bucket, key, seq DESC);
CREATE TABLE IF NOT EXISTS object_uploads (
    id                 TEXT PRIMARY KEY,
    bucket             TEXT NOT NULL,
    key                TEXT NOT NULL,
    initiated          REAL NOT NULL,
    headers            TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    tags               TEXT NOT NULL,
    checksum_algorithm TEXT,
    checksum_type      TEXT,
    acl                TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS object_uploads_by_key ON object_uploads (bucket, key, initiated);
CREATE TABLE IF NOT EXISTS object_parts (
    upload_id TEXT NOT NULL,
    number    INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    etag      TEXT NOT NULL,
    modified  REAL NOT NULL,
    file      TEXT,
    checksum  TEXT,
    PRIMARY KEY (upload_id, number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS object_garbage (file TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_lifecycles (
    bucket TEXT PRIMARY KEY,                -- a bucket with a LifecycleConfiguration
    config TEXT NOT NULL                    -- JSON, as checked (lifecycle.py)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_websites (
    bucket TEXT PRIMARY KEY,                -- a bucket with a WebsiteConfiguration
    config TEXT NOT NULL                    -- JSON, as checked (websites.py)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bucket_notifications (
    bucket TEXT PRIMARY KEY,                -- a bucket with a NotificationConfiguration
    config TEXT NOT NULL                    -- JSON, as stored (notifications.py)
) WITHOUT ROWID;
""",
    version=2,
    # 2: part checksums of COMPOSITE multipart objects (GetObjectAttributes' ObjectParts).
    migrations={2: "ALTER TABLE objects ADD COLUMN part_checksums TEXT;"},
)
