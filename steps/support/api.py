"""Serving the trained model in-process for a scenario (FastAPI TestClient + lifespan)."""

from __future__ import annotations

import warnings

from behave import fixture

from serving.main import create_app
from serving.settings import ServingSettings

with warnings.catch_warnings():  # starlette's notice about httpx vs httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ADMIN_TOKEN = "scenario-admin-token"


@fixture
def served_api(context, model_uri: str, config, **limits):
    """A TestClient whose app serves ``model_uri``; closed (lifespan ends) after the scenario."""
    settings = ServingSettings(model_uri=model_uri, admin_token=ADMIN_TOKEN, **limits)
    app = create_app(settings, config=config)
    with TestClient(app, raise_server_exceptions=False) as client:
        context.api = client
        yield client


@fixture
def live_api(context, settings: ServingSettings, config, **server_options):
    """A real uvicorn server on a free loopback port, in a thread; stopped afterwards.
    ``server_options`` go to uvicorn (``serving.limits.server_options`` as ``mmp serve``)."""
    import threading
    import time

    import httpx
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(create_app(settings, config=config),
                                           host="127.0.0.1", port=0, log_level="warning",
                                           **server_options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        context.api = client
        yield client
    server.should_exit = True
    thread.join(timeout=30)
