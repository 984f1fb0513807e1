"""Entry point for uvicorn (also with several workers): build the app from the config file
named in the environment variable that ``gateway serve`` sets."""

from __future__ import annotations

import os

from gateway.api.app import create_app
from gateway.api.build import build_gateway
from gateway.api.handlers import FastPath
from gateway.config import load_config

app_factory_env = "GATEWAY_CONFIG_PATH"
listen_env = "GATEWAY_LISTEN"  # the address, for the start-up routing table


def app_from_env() -> FastPath:
    path = os.environ[app_factory_env]
    gw = build_gateway(load_config(path), os.environ, config_path=path)
    return create_app(gw, watch_signals=True, tune_gc=True, listen=os.environ.get(listen_env))
