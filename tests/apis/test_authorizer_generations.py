"""apis/authorizer_generations.py: what keys the gateway's cached authorizer answers."""

from __future__ import annotations

from stratus.apis.authorizer_generations import AuthorizerGenerations


def test_a_deleted_stage_is_forgotten_and_never_reads_an_older_generation():
    """Flushing gives a stage a generation of its own; deleting the stage drops it, and the
    stage made again reads none it had before (a cached answer of the deleted stage never
    comes back), while other flushed stages keep theirs."""
    generations = AuthorizerGenerations()
    never_flushed = generations.of("api", "prod")
    generations.flush("api", "prod")
    flushed = generations.of("api", "prod")
    generations.flush("other", "prod")
    other = generations.of("other", "prod")
    generations.forget("api", "prod")
    made_again = generations.of("api", "prod")

    assert flushed != never_flushed
    assert made_again not in {never_flushed, flushed}
    assert generations.of("other", "prod") == other
    assert len(generations) == 1  # other's prod only


def test_a_deleted_api_forgets_all_its_stages():
    generations = AuthorizerGenerations()
    generations.flush("api", "prod")
    generations.flush("api", "dev")
    dev = generations.of("api", "dev")
    generations.forget("api")

    assert generations.of("api", "dev") != dev
    assert len(generations) == 0
