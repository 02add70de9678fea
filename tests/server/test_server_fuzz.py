"""The API fuzzed from its own OpenAPI document (schemathesis), in process over ASGI.

Every operation gets generated requests, as the admin and without credentials: no answer
is a 500, an unauthenticated call to a non-public operation is 401 or 403, and every error
body is the one small JSON shape with no stack trace. ``DRIFTLINE_FUZZ_EXAMPLES`` (default
8) bounds the examples per operation and per generation mode (valid, invalid), so the
module runs in under a minute on two cores; a deeper run sets it higher (40 passes too).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a test dependency")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from server_helpers import World, make_world  # noqa: E402

EXAMPLES = int(os.environ.get("DRIFTLINE_FUZZ_EXAMPLES", "8"))
_TRACE_MARKERS = ("Traceback", 'File "', "site-packages", "driftline/")


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the module, with a monitor so that monitor routes can be reached."""
    import numpy as np
    import pyarrow as pa

    import driftline as dl

    w = make_world(tmp_path_factory.mktemp("fuzz"), dashboard=False)
    rng = np.random.default_rng(0)
    admin = w.registry.session(w.tokens["root"])
    admin.register_version(
        "churn",
        artifact_uri="s3://models/churn/2.onnx",
        checksum="sha256:" + "b" * 64,
        reference_profile=dl.profile(pa.table({"x": rng.normal(size=1000)})),
    )
    with w.client:
        made = w.client.post(
            "/api/v1/monitors",
            json={"name": "m", "model": "churn", "version": 2, "window": 50},
            headers=w.auth("root"),
        )
        assert made.status_code == 201, made.text
        yield w
    w.registry.close()


@pytest.fixture(scope="module")
def api(fuzz_world: World) -> Any:
    """The schema, read from the app's ``/openapi.json`` as the admin."""
    return schemathesis.openapi.from_asgi(
        "/openapi.json", fuzz_world.app, headers=fuzz_world.auth("root")
    )


# The loop is ours, not schemathesis' pytest plugin: its lazy fixture loader does not run
# under pytest 9. Each operation gets a hypothesis run of valid and of invalid requests.
_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(api: Any, check: Callable[[Any], None]) -> int:
    """Run ``check`` on generated cases of every operation; returns the operations run."""
    from schemathesis import GenerationMode

    count = 0
    for result in api.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                check(case)

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists for an operation without inputs.
                assert mode is GenerationMode.NEGATIVE, operation.label
        count += 1
    return count


def _check_answer(case: Any, response: Any) -> None:
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "detail"}, f"{where}: {body}"
        assert not any(m in body["detail"] for m in _TRACE_MARKERS), f"{where}: {body}"


@pytest.mark.timeout(300)
def test_fuzz_as_admin_never_500(api: Any, fuzz_world: World) -> None:
    def check(case: Any) -> None:
        _check_answer(case, case.call(headers=fuzz_world.auth("root")))

    assert _fuzz(api, check) >= 40


@pytest.mark.timeout(300)
def test_fuzz_without_credentials_denied(api: Any) -> None:
    def check(case: Any) -> None:
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = headers
        response = case.call()
        _check_answer(case, response)
        if case.operation.definition.raw.get("x-driftline-permission") != "public":
            # 413: the body limit is enforced before authentication, so that nobody makes
            # the server read a large body without a token.
            assert response.status_code in (401, 403, 413), (
                f"{case.method} {case.formatted_path}: {response.status_code} without a token"
            )

    assert _fuzz(api, check) >= 40
