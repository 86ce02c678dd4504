"""IAM: the users, access keys and policies Stratus checks signed requests against."""
