"""Templates: CloudFormation (and SAM) templates deployed as stacks."""
