"""Object storage (S3): buckets, object versions and multipart uploads in the store, object
bytes as files under the data dir."""
