"""What scorers need from the environment: checked before the first request.

Offline and without NLTK's sentence model, a run used to start, record every
instruction check as a "judge error", print NLTK's download error once per
turn and exit 0 with a score computed over nothing (issue 9, finding 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import error_lines, run_args

from mteval.benchmarks.mt_eval.tasks import TASKS
from mteval.errors import ResourceError
from mteval.runner import JudgmentRecord, Runner, TurnRecord
from mteval.testing import EchoPolicy, EndpointConfig, MockEndpoint
from mteval.types import Dialogue, TaskSet, Turn

from mteval_test_support import run_cli, subprocess_env

# A proxy that refuses every connection: NLTK's download fails at once, as offline.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}


def test_missing_sentence_model_refuses_the_run_before_any_request(
    tmp_path: Path, endpoint_process: Any
) -> None:
    empty = tmp_path / "no-nltk-data"
    empty.mkdir()
    endpoint = endpoint_process({"models": {"echo": {"kind": "echo"}, "judge": {"kind": "judge"}}})
    db = tmp_path / "mteval.db"
    env = subprocess_env(NLTK_DATA=str(empty), HOME=str(tmp_path), **OFFLINE)
    args = run_args(
        endpoint.base_url,
        db,
        tmp_path / "out",
        "--tasks",
        "recollection_multi_global-inst",
        "--limit",
        "2",
    )
    result = run_cli(args, cwd=tmp_path, env=env, timeout=120)

    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "punkt_tab" in lines[0] and "NLTK_DATA" in lines[0]
    # NLTK's own download error is folded into the one line, not printed per turn.
    assert "[nltk_data]" not in result.stderr
    assert endpoint.stats()["requests"] == 0
    assert not (tmp_path / "out" / "results.json").exists()
    # A run refused before it starts leaves no empty store behind (issue 9, finding 6).
    assert not db.exists()


def test_every_missing_resource_is_named_in_one_error() -> None:
    from mteval.resources import Resource, check_resources

    def missing(what: str) -> Resource:
        def check() -> None:
            raise ResourceError(f"{what} is missing")

        return Resource(name=what, check=check)

    with pytest.raises(ResourceError) as caught:
        check_resources([missing("A"), missing("B"), missing("A")])
    assert str(caught.value) == "cannot score this run: (1) A is missing; (2) B is missing"


def test_tasks_declare_what_their_scorers_need() -> None:
    names = {spec.name: {r.name for r in spec.resources} for spec in TASKS.values()}
    assert "NLTK punkt_tab" in names["refinement_multi"]
    assert names["recollection_multi_global-inst"] >= {
        "NLTK punkt_tab",
        "IFEval word list",
        "langdetect profiles",
    }
    assert names["recollection_multi_cls"] == set()


class _Sink:
    def __init__(self) -> None:
        self.turns: list[TurnRecord] = []
        self.judgments: list[JudgmentRecord] = []

    def turn_finished(self, record: TurnRecord) -> None:
        self.turns.append(record)

    def judgment_finished(self, record: JudgmentRecord) -> None:
        self.judgments.append(record)


async def test_a_resource_lost_mid_run_fails_the_run_instead_of_scoring_around_it() -> None:
    class LosesItsData:
        async def score(self, *args: Any, **kwargs: Any) -> JudgmentRecord:
            raise ResourceError("NLTK's sentence model 'punkt_tab' was not found")

    spec = TASKS["recollection_multi_global-inst"]
    dialogue = Dialogue(
        id="1",
        inst_name="detectable_format:title",
        inst_args={},
        turns=(Turn(id="1-1", user="A question?", reference="", do_inference=True),),
    )
    from mteval.models import Model
    from mteval.models.providers.openai import OpenAIChatAPI

    sink = _Sink()
    with MockEndpoint(EndpointConfig(models={"m": EchoPolicy()})) as endpoint:
        model = Model(OpenAIChatAPI(model_name="m", base_url=endpoint.base_url))
        runner = Runner(model=model, system_message=None, scorer=LosesItsData(), sink=sink)  # type: ignore[arg-type]
        with pytest.raises(ResourceError, match="punkt_tab"):
            await runner.run([(spec, TaskSet(name=spec.name, dialogues=(dialogue,)))])
        await model.aclose()
    assert sink.judgments == []  # nothing recorded as a score or a judge error
