"""Bad input: one clear error line, a non-zero exit, no traceback, and nothing lost.

Every case runs the real CLI against the same store, which already holds a finished
run; afterwards that run must be exactly as it was. The cases run a few at a time
(they are independent child processes) to keep the suite quick on two cores.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _reliability_helpers import api_run, env_with, error_lines, integrity, query

from mteval.errors import InstructionError
from mteval.instructions import INSTRUCTION_IDS, check, describe
from mteval.testing import EchoPolicy, EndpointConfig, JudgePolicy, MockEndpoint

from mteval_test_support import DATA_DIR, EndpointProcess, run_cli


@dataclass
class Context:
    root: Path
    store: Path
    run_id: str
    url: str
    data: dict[str, Path] = field(default_factory=dict)

    def run(self, *extra: str, model: str = "openai/echo", url: str | None = None) -> list[str]:
        return [
            "run",
            "--model",
            model,
            "--model-base-url",
            url or self.url,
            "--judge",
            "openai/judge",
            "--judge-base-url",
            url or self.url,
            "--db",
            str(self.store),
            "--limit",
            "1",
            "--no-progress",
            "--retry-base-delay",
            "0.01",
            "--output-dir",
            str(self.root / "out"),
            *extra,
        ]


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Context], list[str]]
    expect: tuple[str, ...]
    env: Callable[[Context], dict[str, str]] = lambda ctx: {"OPENAI_API_KEY": "right-key"}


# -- broken copies of the MT-Eval sources ------------------------------------------------------


def _copy(ctx: Context, name: str) -> Path:
    root = ctx.root / "data" / name
    shutil.copytree(DATA_DIR, root)
    ctx.data[name] = root
    return root


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines), encoding="utf-8")


def truncate_mid_line(ctx: Context) -> int:
    """refinement_multi_inst.jsonl cut in the middle of a line (an interrupted download)."""
    path = _copy(ctx, "truncated") / "raw_data/refinement_multi_inst.jsonl"
    data = path.read_bytes()
    kept = data[: int(len(data) * 0.6)]
    kept = kept[: kept.rfind(b'"') - 3]  # inside a string, not at a line end
    path.write_bytes(kept)
    return kept.count(b"\n") + 1


def truncate_at_line_end(ctx: Context) -> None:
    path = _copy(ctx, "short") / "raw_data/documents.jsonl"
    _write_lines(path, _lines(path)[:50])


def malformed_line(ctx: Context) -> None:
    path = _copy(ctx, "malformed") / "raw_data/global_inst.jsonl"
    lines = _lines(path)
    lines[6] = '{"id": 7, "query": "What is'
    _write_lines(path, lines)


def missing_field(ctx: Context) -> None:
    path = _copy(ctx, "missing-field") / "raw_data/mt-bench_extended.jsonl"
    lines = _lines(path)
    row = json.loads(lines[2])
    del row["conversation"][3]["user"]
    lines[2] = json.dumps(row)
    _write_lines(path, lines)


def edited_content(ctx: Context) -> None:
    path = _copy(ctx, "edited") / "raw_data/documents.jsonl"
    lines = _lines(path)
    row = json.loads(lines[0])
    row["gen_resp"] = row["gen_resp"].replace("the", "teh", 1)
    lines[0] = json.dumps(row)
    _write_lines(path, lines)


def template_without_placeholder(ctx: Context) -> None:
    path = _copy(ctx, "template") / "prompts/expansion_evaluation.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("{constraints}", ""), "utf-8")


def template_not_utf8(ctx: Context) -> None:
    path = _copy(ctx, "template-bytes") / "prompts/expansion_evaluation.txt"
    path.write_bytes(b"\xff\xfe" + path.read_bytes())


CASES = [
    Case(
        "data file truncated mid-line (--data-dir)",
        lambda c: c.run("--tasks", "refinement_multi", "--data-dir", str(c.data["truncated"])),
        ("refinement_multi_inst.jsonl, line {truncated_line}", "not valid JSON", "truncated"),
    ),
    Case(
        "data file cut at a line end (MTEVAL_DATA_DIR)",
        lambda c: c.run("--tasks", "recollection_multi_cls"),
        ("documents.jsonl", "expected 100 rows, found 50", "truncated"),
        env=lambda c: {"MTEVAL_DATA_DIR": str(c.data["short"])},
    ),
    Case(
        "data file with a line that is not JSON",
        lambda c: c.run(
            "--tasks", "recollection_multi_global-inst", "--data-dir", str(c.data["malformed"])
        ),
        ("global_inst.jsonl, line 7", "not valid JSON"),
    ),
    Case(
        "task file with a missing field",
        lambda c: c.run("--tasks", "follow-up_multi", "--data-dir", str(c.data["missing-field"])),
        ("mt-bench_extended.jsonl, line 3, field 'conversation.3.user'", "required field"),
    ),
    Case(
        "data file edited (checksum)",
        lambda c: c.run("--tasks", "recollection_multi_cls", "--data-dir", str(c.data["edited"])),
        ("documents.jsonl", "differs from the pinned MT-Eval sources", "MTEVAL_VERIFY_DATA=0"),
    ),
    Case(
        "missing data folder",
        lambda c: c.run("--data-dir", str(c.root / "no-such-folder")),
        ("no-such-folder", "lacks 14 of the 14 MT-Eval source files", "mteval data fetch"),
    ),
    Case(
        "judge template without its placeholder",
        lambda c: c.run("--tasks", "expansion_multi", "--data-dir", str(c.data["template"])),
        ("expansion_evaluation.txt", "lacks the placeholder {constraints}"),
    ),
    Case(
        "judge template that is not UTF-8",
        lambda c: c.run("--tasks", "expansion_multi", "--data-dir", str(c.data["template-bytes"])),
        ("expansion_evaluation.txt", "not UTF-8 text", "mteval data fetch --force"),
    ),
    Case("unknown task name", lambda c: c.run("--tasks", "nope"), ("unknown task 'nope'",)),
    Case(
        "invalid model spec",
        lambda c: c.run(model="gpt-4o"),
        ("invalid model spec", "gpt-4o"),
    ),
    Case(
        "unreachable base URL",
        lambda c: c.run(url="http://127.0.0.1:9/v1"),
        ("cannot reach http://127.0.0.1:9/v1", "--model-base-url"),
    ),
    Case(
        "wrong API key (HTTP 401)",
        lambda c: c.run(),
        ("rejected the API key (HTTP 401)", "OPENAI_API_KEY"),
        env=lambda c: {"OPENAI_API_KEY": "wrong-key"},
    ),
    Case(
        "model the endpoint does not serve (HTTP 404)",
        lambda c: c.run("--tasks", "recollection_multi_cls", model="openai/no-such-model"),
        ("HTTP 404: model or route not found", "check the model name"),
    ),
    Case(
        "--model-arg without a value",
        lambda c: c.run("--model-arg", "oops"),
        ("--model-arg 'oops': use KEY=VALUE",),
    ),
    Case(
        "--model-arg overriding the messages",
        lambda c: c.run("--model-arg", "messages=[]"),
        ("--model-arg 'messages=[]'", "mteval sets 'messages'"),
    ),
    Case(
        "--model-arg that looks like markup",
        lambda c: c.run("--model-arg", "[/]"),
        ("--model-arg '[/]': use KEY=VALUE",),
    ),
    Case("--limit 0", lambda c: c.run("--limit", "0"), ("--limit must be at least 1",)),
    # Issue 9, finding 6: these were accepted and stored.
    Case(
        "--temperature -1",
        lambda c: c.run("--temperature", "-1"),
        ("--temperature -1", "0 (greedy) or more"),
    ),
    Case("--max-tokens 0", lambda c: c.run("--max-tokens", "0"), ("--max-tokens 0", "at least 1")),
    Case(
        "--max-tokens -3", lambda c: c.run("--max-tokens", "-3"), ("--max-tokens -3", "at least 1")
    ),
    Case(
        "--model-arg with broken JSON",
        lambda c: c.run("--model-arg", "seed={bad"),
        ("--model-arg 'seed={bad'", "not valid JSON"),
    ),
    Case(
        "base URL without /v1 (the endpoint serves /v1 only, as vLLM)",
        lambda c: c.run(url=c.url.removesuffix("/v1")),
        ("HTTP 404", "base URL ends with /v1"),
    ),
    Case(
        "base URL without a scheme",
        lambda c: c.run(url=c.url.split("://", 1)[1]),
        ("give the full URL with its scheme", "e.g. http://127.0.0.1:"),
    ),
    Case(
        "--max-attempts 0",
        lambda c: c.run("--max-attempts", "0"),
        ("--max-attempts must be at least 1",),
    ),
    Case("--timeout 0", lambda c: c.run("--timeout", "0"), ("--timeout must be a positive",)),
    Case(
        "--db that is not an SQLite file",
        lambda c: [*c.run(), "--db", str(c.root / "notes.txt")],
        ("notes.txt is not a usable mteval database", "--db"),
    ),
    Case(
        "--db that is a folder",
        lambda c: [*c.run(), "--db", str(c.root / "data")],
        ("is not a usable mteval database",),
    ),
    Case(
        "--output-dir that cannot be created",
        lambda c: [*c.run("--tasks", "recollection_multi_cls"), "--output-dir", "/dev/null/x"],
        ("cannot write the results into /dev/null/x", "is stored in", "mteval show"),
    ),
    Case(
        "show of an unknown run id",
        lambda c: ["show", "no-such-run", "--db", str(c.store)],
        ("no run 'no-such-run'", "mteval runs"),
    ),
    Case(
        "export of an unknown run id",
        lambda c: ["export", "no-such-run", "--db", str(c.store)],
        ("no run 'no-such-run'", "mteval runs"),
    ),
    Case(
        "export into a missing folder",
        lambda c: ["export", c.run_id, "--db", str(c.store), "--out", str(c.root / "x/y.csv")],
        ("cannot write", "y.csv", "--out"),
    ),
    Case(
        "data export into a path that cannot be created",
        lambda c: ["data", "export", "/dev/null/x", "--tasks", "expansion_multi"],
        ("/dev/null/x", "check the path"),
    ),
    Case(
        "--retry-errors of an unknown run id",
        lambda c: ["run", "--retry-errors", "no-such-run", "--db", str(c.store)],
        ("no run 'no-such-run'",),
    ),
]
CASE_IDS = [case.name for case in CASES]


def _snapshot(db: Path, run_id: str) -> dict[str, Any]:
    return {
        "run": query(db, "SELECT * FROM runs WHERE run_id = ?", (run_id,)),
        "turns": query(db, "SELECT * FROM turns WHERE run_id = ? ORDER BY 2, 3, 4", (run_id,)),
        "judgments": query(
            db, "SELECT * FROM judgments WHERE run_id = ? ORDER BY 2, 3, 4", (run_id,)
        ),
        "completions": query(db, "SELECT key, request, content FROM completions ORDER BY key"),
    }


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("bad-input")
    store = root / "store.db"
    with MockEndpoint(
        EndpointConfig(models={"echo": EchoPolicy(), "judge": JudgePolicy()})
    ) as endpoint:
        existing = api_run(
            endpoint,
            store,
            tasks=["recollection_multi_cls", "expansion_multi"],
            limit=1,
            judge=True,
            model="echo",
        )
    before = _snapshot(store, existing.run_id)
    assert len(before["turns"]) == 17 and len(before["judgments"]) == 17
    (root / "notes.txt").write_text("my notes, not a database\n", encoding="utf-8")

    served = EndpointProcess(
        {
            "models": {"echo": {"kind": "echo"}, "judge": {"kind": "judge"}},
            "default_policy": None,
            "api_key": "right-key",
        },
        root / "endpoint",
    )
    try:
        ctx = Context(root=root, store=store, run_id=existing.run_id, url=served.base_url)
        truncated_line = truncate_mid_line(ctx)
        for prepare in (
            truncate_at_line_end,
            malformed_line,
            missing_field,
            edited_content,
            template_without_placeholder,
            template_not_utf8,
        ):
            prepare(ctx)

        def invoke(case: Case) -> Any:
            return run_cli(case.args(ctx), cwd=root, env=env_with(**case.env(ctx)), timeout=300)

        with ThreadPoolExecutor(max_workers=3) as pool:
            results = dict(zip(CASE_IDS, pool.map(invoke, CASES), strict=True))
    finally:
        served.stop()
    return {
        "results": results,
        "ctx": ctx,
        "before": before,
        "truncated_line": truncated_line,
    }


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_bad_input_gives_one_clear_error_line(case: Case, bad_runs: Any, figures: Any) -> None:
    result = bad_runs["results"][case.name]
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = error_lines(result.stderr)
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    for piece in case.expect:
        piece = piece.replace("{truncated_line}", str(bad_runs["truncated_line"]))
        assert piece in errors[0], errors[0]
    figures.add("bad_input", "inputs_tried")


def test_bad_inputs_leave_the_stored_run_and_other_files_intact(
    bad_runs: Any, figures: Any
) -> None:
    ctx: Context = bad_runs["ctx"]
    assert integrity(ctx.store) == "ok"
    after = _snapshot(ctx.store, ctx.run_id)
    before = bad_runs["before"]
    for table in ("run", "turns", "judgments"):
        assert after[table] == before[table], table
    # Completions are shared by every run of the store: the old ones are all still there.
    assert set(before["completions"]) <= set(after["completions"])
    assert (ctx.root / "notes.txt").read_text(encoding="utf-8") == "my notes, not a database\n"
    shown = run_cli(["show", ctx.run_id, "--db", str(ctx.store)], cwd=ctx.root)
    assert shown.returncode == 0 and "expansion_multi" in shown.stdout
    figures.put("bad_input", "stored_results_lost", 0)


def test_a_run_refused_before_it_starts_leaves_no_run_behind(bad_runs: Any) -> None:
    ctx: Context = bad_runs["ctx"]
    statuses = [s for (s,) in query(ctx.store, "SELECT status FROM runs")]
    assert statuses.count("created") == 0, statuses


def test_an_unreadable_source_file_is_one_data_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from mteval.benchmarks.mt_eval import SourceFiles
    from mteval.errors import DataFileError

    real_read_text = Path.read_text

    def read_text(path: Path, *args: Any, **kwargs: Any) -> str:
        if path.name in ("documents.jsonl", "expansion_evaluation.txt"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    sources = SourceFiles(DATA_DIR)
    with pytest.raises(DataFileError, match=r"documents\.jsonl: cannot be read \(Permission"):
        _ = sources.documents
    with pytest.raises(DataFileError, match=r"expansion_evaluation\.txt: cannot be read"):
        sources.template("expansion_evaluation")


# -- unknown instruction ids (library level) ---------------------------------------------------


def test_an_unknown_instruction_id_is_named() -> None:
    with pytest.raises(InstructionError, match="unknown instruction id 'startend:no_such'"):
        check("startend:no_such", {}, "Some reply.")
    with pytest.raises(InstructionError, match="'startend:no_such'"):
        describe("startend:no_such", {})
    assert "startend:no_such" not in INSTRUCTION_IDS


async def test_a_dialogue_with_an_unknown_instruction_is_a_scoring_error_not_a_crash() -> None:
    from mteval.benchmarks.mt_eval.judge import BenchmarkScorer
    from mteval.benchmarks.mt_eval.tasks import TASKS
    from mteval.records import JudgmentRecord, TurnRecord
    from mteval.runner import Runner
    from mteval.types import Dialogue, TaskSet, Turn

    spec = TASKS["recollection_multi_global-inst"]
    dialogue = Dialogue(
        id="1",
        inst_name="startend:no_such",
        inst_args={},
        turns=(
            Turn(id="instruction", user="Follow this.", reference="ok.", do_inference=False),
            Turn(id="1-1", user="A question?", reference="", do_inference=True),
        ),
    )
    scorer = BenchmarkScorer(judge=None)
    with pytest.raises(InstructionError, match="startend:no_such"):
        await scorer.score(spec, dialogue, 1, 1, "An answer.")

    class Sink:
        def __init__(self) -> None:
            self.turns: list[TurnRecord] = []
            self.judgments: list[JudgmentRecord] = []

        def turn_finished(self, record: TurnRecord) -> None:
            self.turns.append(record)

        def judgment_finished(self, record: JudgmentRecord) -> None:
            self.judgments.append(record)

    from mteval.models import Model
    from mteval.models.providers.openai import OpenAIChatAPI

    sink = Sink()
    with MockEndpoint(EndpointConfig(models={"m": EchoPolicy()})) as endpoint:
        api = OpenAIChatAPI(model_name="m", base_url=endpoint.base_url)
        model = Model(api)
        runner = Runner(model=model, system_message=None, scorer=scorer, sink=sink)
        progress = await runner.run([(spec, TaskSet(name=spec.name, dialogues=(dialogue,)))])
        await model.aclose()
    assert progress.turns_done == 1 and progress.judgment_errors == 1
    (judgment,) = sink.judgments
    assert judgment.status == "error" and judgment.score is None
    assert judgment.error is not None and "unknown instruction id 'startend:no_such'" in (
        judgment.error
    )
