"""PartiQL's ExecuteStatement for the common SELECT, INSERT, UPDATE and DELETE, from boto3
against a real server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import KeyMaker


def run(ddb: Any, statement: str, *params: Any, **extra: Any) -> list[dict[str, Any]]:
    kwargs = {"Parameters": list(params)} if params else {}
    return ddb.execute_statement(Statement=statement, **kwargs, **extra)["Items"]  # type: ignore[no-any-return]


def test_insert_select_update_delete(ddb: Any, make_table: KeyMaker) -> None:
    """The four statements, with literals and ? parameters, as DynamoDB runs them."""
    name = make_table()
    run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1, 'n': 5, 'tags': <<'x'>>}}")
    run(ddb, f'INSERT INTO "{name}" VALUE {{\'pk\': ?, \'sk\': ?, \'n\': 7}}',
        {"S": "a"}, {"N": "2"})  # fmt: skip
    run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'b', 'sk': 1, 'n': 9}}")

    everything = run(ddb, f'SELECT * FROM "{name}"')
    partition = run(ddb, f"SELECT sk, n FROM \"{name}\" WHERE pk = 'a' AND n > 5")
    missing = run(ddb, f'SELECT pk FROM "{name}" WHERE tags IS MISSING')
    listed = run(ddb, f'SELECT sk FROM "{name}" WHERE pk = ? AND sk IN [1, 3]', {"S": "a"})
    run(
        ddb,
        f"UPDATE \"{name}\" SET n = n + 1 SET extra = 'yes' REMOVE tags WHERE pk = 'a' AND sk = 1",
    )
    updated = run(ddb, f"SELECT * FROM \"{name}\" WHERE pk = 'a' AND sk = 1")
    run(ddb, f"DELETE FROM \"{name}\" WHERE pk = 'b' AND sk = 1")
    after = run(ddb, f'SELECT pk FROM "{name}"')

    assert len(everything) == 3
    assert partition == [{"sk": {"N": "2"}, "n": {"N": "7"}}]
    assert sorted(i["pk"]["S"] for i in missing) == ["a", "b"]
    assert listed == [{"sk": {"N": "1"}}]
    assert updated == [{"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "6"}, "extra": {"S": "yes"}}]
    assert sorted(i["pk"]["S"] for i in after) == ["a", "a"]


def test_insert_of_an_existing_key_is_a_duplicate(ddb: Any, make_table: KeyMaker) -> None:
    name = make_table()
    run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1}}")

    with pytest.raises(ddb.exceptions.DuplicateItemException):
        run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1}}")


def test_update_of_a_missing_item_fails_its_condition(ddb: Any, make_table: KeyMaker) -> None:
    name = make_table()

    with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
        run(ddb, f"UPDATE \"{name}\" SET n = 1 WHERE pk = 'none' AND sk = 0")


def test_select_pages_with_next_token(ddb: Any, make_table: KeyMaker) -> None:
    name = make_table()
    for n in range(5):
        run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'p', 'sk': {n}}}")

    seen: list[int] = []
    token = None
    while True:
        extra = {"NextToken": token} if token else {}
        answer = ddb.execute_statement(
            Statement=f"SELECT sk FROM \"{name}\" WHERE pk = 'p'", Limit=2, **extra
        )
        seen += [int(i["sk"]["N"]) for i in answer["Items"]]
        token = answer.get("NextToken")
        if not token:
            break

    assert seen == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    "statement",
    ["SELEKT * FROM t", "SELECT * FROM", 'UPDATE "{name}" SET a = 1 WHERE sk = 1'],
)
def test_bad_statements(ddb: Any, make_table: KeyMaker, statement: str) -> None:
    name = make_table()

    with pytest.raises(ClientError) as exc:
        run(ddb, statement.format(name=name))

    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_batch_execute_statement(ddb: Any, make_table: KeyMaker) -> None:
    """Each statement of a batch answers on its own: items for reads, errors by code."""
    name = make_table()
    run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1, 'v': 1}}")

    writes = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b', 'sk': 1}}"},
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1}}"},
        ]
    )["Responses"]
    reads = ddb.batch_execute_statement(
        Statements=[
            {"Statement": f"SELECT v FROM \"{name}\" WHERE pk = 'a' AND sk = 1"},
            {"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 'none' AND sk = 1"},
        ]
    )["Responses"]

    assert "Error" not in writes[0]
    assert writes[1]["Error"]["Code"] == "DuplicateItem"
    assert reads[0]["Item"] == {"v": {"N": "1"}}
    assert "Item" not in reads[1]


def test_execute_transaction(ddb: Any, make_table: KeyMaker) -> None:
    """A transaction of statements writes all or nothing; one of reads reads them."""
    name = make_table()
    run(ddb, f"INSERT INTO \"{name}\" VALUE {{'pk': 'a', 'sk': 1, 'v': 1}}")

    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.execute_transaction(
            TransactStatements=[
                {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'b', 'sk': 1}}"},
                {"Statement": f"UPDATE \"{name}\" SET v = 2 WHERE pk = 'a' AND sk = 1 AND v = 9"},
            ]
        )
    ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"INSERT INTO \"{name}\" VALUE {{'pk': 'c', 'sk': 1}}"},
            {"Statement": f"UPDATE \"{name}\" SET v = 2 WHERE pk = 'a' AND sk = 1 AND v = 1"},
        ]
    )
    got = ddb.execute_transaction(
        TransactStatements=[
            {"Statement": f"SELECT * FROM \"{name}\" WHERE pk = 'a' AND sk = 1"},
            {"Statement": f"SELECT pk FROM \"{name}\" WHERE pk = 'b' AND sk = 1"},
        ]
    )["Responses"]

    assert got[0]["Item"]["v"] == {"N": "2"}
    assert got[1] == {}
    assert len(run(ddb, f"SELECT * FROM \"{name}\" WHERE pk = 'c'")) == 1
