"""PartiQL for DynamoDB (ExecuteStatement): the common SELECT, INSERT, UPDATE and DELETE,
translated into the item calls and expressions the rest of the package already serves."""
