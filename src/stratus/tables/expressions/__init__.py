"""DynamoDB's expression language: one parser (parser.py) for the five kinds of expression
(condition, filter, key condition, projection, update), evaluated by conditions.py and
applied by updates.py; paths.py reads and writes document paths such as a.b[1].c."""
