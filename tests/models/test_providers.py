"""Providers own their setup: registry and entry points, keys, options, fingerprints,
and the engines' "prompt too long" errors."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from mteval.errors import ConfigError
from mteval.models import create_api
from mteval.models.base import ContextLengthError
from mteval.models.fingerprint import file_fingerprint, folder_fingerprint
from mteval.models.providers._managed import engine_flags
from mteval.models.providers.openai import context_overflow
from mteval.models.registry import parse_model_spec, provider_names, resolve_api_key


def test_built_in_providers_are_found_by_module_name() -> None:
    assert {"openai", "anthropic", "llamacpp", "vllm", "sglang", "hf"} <= set(provider_names())
    assert parse_model_spec("llamacpp/models/a b.gguf") == ("llamacpp", "models/a b.gguf")
    with pytest.raises(ConfigError, match="unknown provider 'nope'.*llamacpp"):
        parse_model_spec("nope/x")


def test_a_third_party_provider_registers_through_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "acme_provider.py").write_text(
        textwrap.dedent(
            """
            from mteval.models.base import FailureInfo, ModelAPI

            class AcmeAPI(ModelAPI):
                provider = "acme"
                OPTIONS = {"flavour": "which flavour"}

                def __init__(self, *, model_name, base_url=None, api_key=None,
                             timeout_s=300.0, max_connections=64, options=None):
                    super().__init__(model_name=model_name, options=options)
                    self._validate_options()

                def default_concurrency(self):
                    return 3

                async def generate(self, messages, config):
                    raise NotImplementedError

                def classify_error(self, error):
                    return FailureInfo("other", False, str(error))
            """
        )
    )
    dist = tmp_path / "acme_provider-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-provider\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[mteval.providers]\nacme = acme_provider:AcmeAPI\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "acme" in provider_names()
    api = create_api("acme/rocket", options={"flavour": "lemon"})
    assert type(api).__name__ == "AcmeAPI" and api.default_concurrency() == 3
    assert resolve_api_key("acme", key_env=None, base_url=None, environ={}) is None
    with pytest.raises(ConfigError, match="no option 'colour'.*flavour"):
        create_api("acme/rocket", options={"colour": "red"})


def test_keyed_providers_still_ask_for_their_key() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        resolve_api_key("openai", key_env=None, base_url=None, environ={})
    assert resolve_api_key("llamacpp", key_env=None, base_url=None, environ={}) is None


def test_options_are_checked_by_the_provider() -> None:
    with pytest.raises(ConfigError, match="openai provider has no option 'n_ctx'"):
        create_api("openai/m", base_url="http://127.0.0.1:9/v1", options={"n_ctx": 5})
    with pytest.raises(ConfigError, match="n_parallel=0"):
        create_api("llamacpp/m.gguf", options={"n_parallel": 0})
    with pytest.raises(ConfigError, match="server='gpu'"):
        create_api("llamacpp/m.gguf", options={"server": "gpu"})
    assert create_api("llamacpp/m.gguf", options={"n_parallel": 3}).default_concurrency() == 3


def test_options_become_engine_flags() -> None:
    options: dict[str, Any] = {"max_model_len": 4096, "enforce_eager": True, "trust": False}
    assert engine_flags(options, dashes=True) == [
        "--max-model-len", "4096", "--enforce-eager", "--no-trust",
    ]  # fmt: skip
    assert engine_flags({"flash_attn": True, "n_batch": 64}, dashes=False, bool_style="value") == [
        "--flash_attn", "true", "--n_batch", "64",
    ]  # fmt: skip
    assert engine_flags({"x": False, "y": True}, dashes=True, bool_style="only-true") == ["--y"]


def test_a_files_fingerprint_is_hashed_once_and_follows_changes(tmp_path: Path) -> None:
    weights = tmp_path / "w.gguf"
    weights.write_bytes(b"abc")
    first = file_fingerprint(weights)
    assert first == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    # Same size and mtime: the remembered digest, without reading the file.
    stat = weights.stat()
    weights.write_bytes(b"xyz")
    os.utime(weights, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_fingerprint(weights) == first
    # One byte more: hashed again.
    weights.write_bytes(b"abcd")
    assert file_fingerprint(weights) != first
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"1")
    before = folder_fingerprint(folder)
    (folder / "config.json").write_text("{}")
    assert folder_fingerprint(folder) != before


class _StatusError(Exception):
    def __init__(self, body: Any, text: str = "") -> None:
        super().__init__(text)
        self.body = body


@pytest.mark.parametrize(
    ("body", "limit", "prompt"),
    [
        (  # llama-cpp-python's server and vLLM (OpenAI's wording)
            {
                "message": "This model's maximum context length is 1024 tokens. However, you "
                "requested 1151 tokens (1135 in the messages, 16 in the completion).",
                "code": "context_length_exceeded",
            },
            1024,
            1135,
        ),
        (  # vLLM's newer wording
            {"message": "The decoder prompt (length 5000) is longer than the maximum model "
             "length of 4096. Make sure that `max_model_len` is no smaller"},
            4096,
            5000,
        ),
        (  # SGLang
            {"message": "The input (9000 tokens) is longer than the model's context length "
             "(8192 tokens)."},
            8192,
            9000,
        ),
        (  # llama-server
            {"message": "the request exceeds the available context size, try increasing it",
             "type": "exceed_context_size_error", "n_prompt_tokens": 700, "n_ctx": 512},
            512,
            700,
        ),
    ],
)  # fmt: skip
def test_each_engines_context_overflow_is_recognised(body: Any, limit: int, prompt: int) -> None:
    error = context_overflow(_StatusError(body))
    assert isinstance(error, ContextLengthError)
    assert (error.limit, error.prompt_tokens) == (limit, prompt)
    assert f"context window ({limit} tokens)" in str(error)


def test_other_bad_requests_are_not_taken_for_overflows() -> None:
    assert context_overflow(_StatusError({"message": "unknown field 'top_k'"})) is None


def test_the_weights_fingerprint_is_part_of_the_run_fingerprint() -> None:
    from mteval.config import EndpointSettings, RunConfig

    config = RunConfig(model=EndpointSettings(spec="llamacpp/m.gguf"), tasks=("x",))
    plain = config.fingerprint(data_commit="c")
    assert plain == config.fingerprint(data_commit="c", model_weights=None)
    assert config.fingerprint(data_commit="c", model_weights="sha256:1") != plain
    with_options = config.model_copy(
        update={"model": EndpointSettings(spec="llamacpp/m.gguf", options={"n_ctx": 512})}
    )
    assert with_options.fingerprint(data_commit="c") != plain


def test_the_watchdog_module_imports_nothing_from_mteval() -> None:
    source = (Path(sys.modules["mteval"].__file__).parent / "models/_watchdog.py").read_text()
    assert "import mteval" not in source and "from mteval" not in source


def test_engine_usage_counts_the_time_every_slot_was_busy() -> None:
    api: Any = create_api("llamacpp/m.gguf", options={"n_parallel": 2, "server": "python"})
    api._servers = [object(), object()]  # two single-slot servers, as started
    # Server 0 busy 0-10; server 1 busy 2-6 and 8-12 (two requests queued at 9-10).
    api.busy_log = [(0, 0.0, 10.0), (1, 2.0, 6.0), (1, 8.0, 12.0), (1, 9.0, 10.0)]
    usage = api.engine_usage()
    assert usage["slots"] == 2 and usage["span_s"] == 12.0
    assert usage["all_slots_busy_s"] == 6.0  # 2-6 and 8-10
    assert usage["all_slots_busy_share"] == 0.5
    assert usage["mean_busy_slots"] == round((6 * 2 + 6 * 1) / 12, 3)
