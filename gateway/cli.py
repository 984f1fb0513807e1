"""``gateway`` command line: serve, check, explain, policy test."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import orjson

from gateway.config import Config, load_config, unset_environment
from gateway.errors import ConfigError
from gateway.policy.compiled import Policy
from gateway.types import Endpoint

QUIET_LIBRARIES = ("presidio-analyzer", "pymorphy2", "pymorphy2.opencorpora_dict.wrapper", "natasha", "spacy",
                   "httpx", "llama_cpp", "watchfiles")
ENDPOINTS: dict[str, Endpoint] = {"chat": "chat", "completions": "completions", "embeddings": "embeddings",
                                  "messages": "messages"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway", description="Hybrid LLM routing gateway")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", required=True)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")

    check = sub.add_parser("check", help="validate config and policy")
    check.add_argument("--config", required=True)

    explain = sub.add_parser("explain", help="print the classification and decision for a request")
    explain.add_argument("--config", required=True)
    explain.add_argument("--endpoint", default="chat", choices=sorted(ENDPOINTS),
                         help="the endpoint the body is for (default: chat)")
    explain.add_argument("request", help="a JSON file with a request body")

    policy = sub.add_parser("policy", help="policy tools")
    policy_sub = policy.add_subparsers(dest="policy_command", required=True)
    ptest = policy_sub.add_parser("test", help="run policy test cases")
    ptest.add_argument("--config", required=True)
    ptest.add_argument("dir", nargs="?", default=None)

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for chatty in QUIET_LIBRARIES:  # their start-up chatter is not the operator's business
        logging.getLogger(chatty).setLevel(logging.ERROR)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "check":
            return _check(args.config)
        if args.command == "explain":
            return _explain(args.config, args.request, args.endpoint)
        return _policy_test(args.config, args.dir)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    from gateway.api.serve import app_factory_env, listen_env
    from gateway.observability.registry import prepare_multiprocess_dir, remove_multiprocess_dir

    config = load_config(args.config)
    _load_policy(config)  # fail fast, with file and line, before binding the port
    _check_recognizers(config, args.config)
    _warn_per_process_limits(config, args.workers)
    for warning in [*unset_environment(config, os.environ), *_audit_in_watched_directory(config, args.config)]:
        logging.getLogger("gateway").warning("%s", warning)
    os.environ[app_factory_env] = str(Path(args.config).resolve())
    os.environ[listen_env] = f"http://{args.host or config.server.host}:{args.port or config.server.port}"
    # several workers: prometheus-client multiprocess mode, set before any worker imports it
    metrics_dir = prepare_multiprocess_dir(os.environ, args.workers)
    try:
        _run_uvicorn(args, config)
    finally:
        remove_multiprocess_dir(metrics_dir)  # only a temporary one it made itself
    return 0


def _run_uvicorn(args: argparse.Namespace, config: Config) -> None:
    import signal

    import uvicorn

    # uvicorn finishes the requests in flight (up to timeout_graceful_shutdown), runs the
    # lifespan's shutdown (the detector's processes and the embedded models stop), and then
    # raises the stop signal again for whatever handler was there before: a quiet one, so that
    # SIGTERM and SIGINT are a clean stop with exit status 0.
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stopped)
    uvicorn.run("gateway.api.serve:app_from_env", factory=True,
                host=args.host or config.server.host, port=args.port or config.server.port,
                workers=args.workers, loop="uvloop", http="httptools", log_level=args.log_level,
                access_log=False, timeout_graceful_shutdown=30, proxy_headers=False, server_header=False)


def _stopped(signum: int, frame: object) -> None:
    """A stop signal after the server shut down: nothing left to do."""


def _limited(config: Config) -> bool:
    return any(k.limits or k.budget for k in config.auth.keys) or any(
        t.limits or t.budget for t in config.auth.teams.values())


def _warn_per_process_limits(config: Config, workers: int) -> None:
    if workers > 1 and config.state.redis_url_env is None and _limited(config):
        logging.getLogger("gateway").warning(
            "limits and budgets are counted in each of the %d worker processes (they multiply); "
            "set state.redis_url_env to share them through Redis", workers)


def _audit_in_watched_directory(config: Config, path: str) -> list[str]:
    """The audit log written into a directory the gateway watches (the config's or the policy's):
    every line would wake the file watchers."""
    if config.audit.path == "-":
        return []
    watched = {Path(path).resolve().parent, config.resolve_path(config.policy).resolve().parent}
    if Path(config.audit.path).resolve().parent not in watched:
        return []
    return [f"audit.path {config.audit.path} is in a directory the gateway watches for config and policy "
            "changes: every line written there wakes the watchers (~10 us of CPU a request each); "
            "write the audit log elsewhere"]


def _load_policy(config: Config) -> Policy:
    from gateway.policy.load import load_policy

    return load_policy(config.resolve_path(config.policy), config)


def _check_recognizers(config: Config, path: str) -> None:
    """Custom recognizers are compiled in the detector's processes; check them here first, so a
    mistake is reported with the config file's name instead of failing the workers."""
    from gateway.classify.custom import custom_recognizers
    from gateway.errors import ConfigProblem

    try:
        custom_recognizers(config.classifier.recognizers)
    except ConfigError as exc:
        raise ConfigError([ConfigProblem(path, None, p.key, p.message) for p in exc.problems]) from None


def _undetectable(config: Config, policy: Policy) -> list[str]:
    """Entity types the policy names that no recognizer reports: a condition on them never holds."""
    from gateway.classify.types import DETECTED_TYPES
    from gateway.policy.entities import custom_types

    detected = DETECTED_TYPES | custom_types(config.classifier.recognizers)
    return sorted(policy.entity_types - detected)


def _check(path: str) -> int:
    config = load_config(path)
    policy = _load_policy(config)
    _check_recognizers(config, path)
    missing = _undetectable(config, policy)
    if missing:
        print(f"warning: {config.policy}: names entity types no recognizer reports (add a custom "
              f"recognizer or remove them): {', '.join(missing)}", file=sys.stderr)
    for warning in [*unset_environment(config, os.environ), *_audit_in_watched_directory(config, path)]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"ok: {path}: {len(config.backends)} backends, {len(config.models)} models; "
          f"policy {config.policy} version {policy.version}")
    where = (f"shared through Redis (${config.state.redis_url_env}, on_error: {config.state.on_error})"
             if config.state.redis_url_env else "counted in process")
    print(f"auth: {len(config.auth.keys)} keys, {len(config.auth.teams)} teams; limits and budgets {where}"
          if _limited(config) else f"auth: {len(config.auth.keys)} keys, {len(config.auth.teams)} teams; no limits")
    return 0


def _explain(config_path: str, request_path: str, endpoint: Endpoint) -> int:
    from gateway.api.redaction import decide
    from gateway.classify.service import ClassifyService
    from gateway.outbound import outbound
    from gateway.policy.evaluate import needs_semantics
    from gateway.redact import ValueKeys
    from gateway.request import GatewayRequest, outbound_of

    config = load_config(config_path)
    policy = _load_policy(config)
    try:
        body = orjson.loads(Path(request_path).read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        print(f"error: {request_path}: cannot read a JSON request ({type(exc).__name__})", file=sys.stderr)
        return 1
    if not isinstance(body, dict):
        print(f"error: {request_path}: the request must be a JSON object", file=sys.stderr)
        return 1

    async def run() -> dict[str, object]:
        greq = GatewayRequest(endpoint=endpoint, body=body, model=str(body.get("model", "auto")),
                              stream=bool(body.get("stream")), request_id="explain")
        service = ClassifyService(config.classifier.model_copy(update={"workers": 0}))
        await service.start()
        try:
            leaving = outbound_of(greq)
            signals = await service.classify(leaving)
            if needs_semantics(policy, signals, greq):  # as the real request path does
                signals = dataclasses.replace(signals, semantic=await service.semantic(leaving))
            decision, _ = await decide(policy, signals, greq, leaving, lambda b, h: outbound(endpoint, b, h), service,
                                       ValueKeys())
        finally:
            await service.aclose()
        out = decision.to_explain()
        out["detected"] = [{"type": e.type, "score": round(e.score, 3), "message": e.message,
                            "start": e.start, "end": e.end} for e in signals.entities]
        return out

    print(orjson.dumps(asyncio.run(run()), option=orjson.OPT_INDENT_2).decode())
    return 0


def _policy_test(config_path: str, directory: str | None) -> int:
    from gateway.api.state import judge
    from gateway.classify.service import ClassifyService
    from gateway.policy import run_policy_tests, summary
    from gateway.request import GatewayRequest, outbound_of
    from gateway.signals import Signals

    config = load_config(config_path)
    tests_dir = Path(directory) if directory else config.resolve_path(config.policy).parent / "tests"
    if not tests_dir.is_dir():
        print(f"error: {tests_dir}: no such directory", file=sys.stderr)
        return 1
    service = ClassifyService(config.classifier.model_copy(update={"workers": 0}))
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(service.start())

        def classify(request: GatewayRequest) -> Signals:
            return loop.run_until_complete(judge(service, outbound_of(request)))

        results = run_policy_tests(config, tests_dir, classify)
    finally:
        loop.run_until_complete(service.aclose())
        loop.close()
    for result in results:
        if not result.ok:
            print(result)
    print(summary(results))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
