"""Tasks name their dependencies as keyword-only parameters; the worker binds them once at
start-up by name, and a name nobody provides fails then, not when the first message arrives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dramatiq.brokers.stub import StubBroker

import storesync.bootstrap  # noqa: F401  (its task modules register the real tasks)
from storesync.worker.registry import TASKS, TaskSpec, bind, declare_actors, dependencies_of

REAL_DEPENDENCIES = {"db", "clients", "jobs", "settings", "redis"}


def _greet(name: str, *, greeting: str, punctuation: str = "!") -> str:
    return f"{greeting}, {name}{punctuation}"


def test_a_task_is_called_with_its_message_and_its_bound_dependencies() -> None:
    spec = TaskSpec("test.greet", _greet, "default", 0, 1000)
    assert dependencies_of(_greet) == ["greeting", "punctuation"]
    bound = bind(spec, {"greeting": "Hello", "punctuation": "?"})
    assert bound("Ana") == "Hello, Ana?"


def test_a_dependency_nobody_provides_fails_at_start_up_naming_it() -> None:
    spec = TaskSpec("test.greet", _greet, "default", 0, 1000)
    with pytest.raises(RuntimeError, match=r"test\.greet.*needs punctuation"):
        bind(spec, {"greeting": "Hello"})


@pytest.fixture
def a_task_asking_for_a_lost_dependency() -> Iterator[None]:
    def lost(*, cache: object) -> None:
        return None

    TASKS["test.lost"] = TaskSpec("test.lost", lost, "default", 0, 1000)
    yield
    TASKS.pop("test.lost")


@pytest.mark.usefixtures("a_task_asking_for_a_lost_dependency")
def test_declaring_the_actors_fails_when_one_task_asks_for_an_unknown_name() -> None:
    with pytest.raises(RuntimeError, match=r"test\.lost.*needs cache"):
        declare_actors(StubBroker(), dict.fromkeys(REAL_DEPENDENCIES))


def test_every_real_task_asks_only_for_what_the_container_provides() -> None:
    for spec in TASKS.values():
        if spec.name.startswith(("test.", "dl_test_")):
            continue
        assert set(dependencies_of(spec.fn)) <= REAL_DEPENDENCIES, spec.name
        assert "." in spec.name, f"{spec.name}: tasks are named noun.verb"
