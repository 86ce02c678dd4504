"""The composition root: builds every part from Settings and serves them on one port.

    Settings -> Database, CodeStore, LogStore, Sandbox -> ProcessLauncher -> EnvironmentPool
             -> Invoker -> FunctionService, AsyncInvocations, ... -> Services (one typed record)
             -> StackService -> ASGI app (aws/, gateway/) -> uvicorn

Background work (log flushing, reaping idle environments, running async events) runs in
one TaskGroup owned by the app's lifespan; shutdown cancels it and stops every environment.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.applications import Starlette

from stratus import bridges
from stratus.alarms.service import AlarmService
from stratus.alarms.store import AlarmStore
from stratus.apis.domains import DomainService
from stratus.apis.http.service import ApiService
from stratus.apis.rest.service import RestApiService
from stratus.aws.app import LAMBDA, build_app
from stratus.aws.fast_invoke import FastInvoke
from stratus.aws.sdk_tasks import SdkCalls
from stratus.aws.service_integrations import ServiceCalls
from stratus.config import Settings
from stratus.console import workflow_pages
from stratus.events.service import EventBusService
from stratus.functions.async_queue import AsyncInvocations
from stratus.functions.concurrency import Concurrency
from stratus.functions.service import FunctionService
from stratus.gateway.callback_tls import tls_door, tls_files
from stratus.gateway.function_urls import FunctionUrlGateway
from stratus.gateway.http_api import ExecuteApi
from stratus.gateway.http_proxy import HttpProxy
from stratus.gateway.rest_test_invoke import wait_test_authorizer, wait_test_invoke
from stratus.iam.service import IamService
from stratus.mappings.service import MappingService
from stratus.objects.lifecycle_sweeper import LifecycleSweeper
from stratus.objects.multipart import Multipart
from stratus.objects.notifications import Notifications
from stratus.objects.service import ObjectService
from stratus.observe.dashboards import Dashboards
from stratus.observe.emf import EmfMetrics
from stratus.observe.logs import LogStore
from stratus.observe.metric_filters import MetricFilterMetrics
from stratus.observe.metric_service import MetricService
from stratus.observe.metrics import MetricStore
from stratus.parameters.service import ParameterService
from stratus.queues.service import QueueService
from stratus.runtime import sandbox
from stratus.runtime.concurrency import ConcurrencyLimits
from stratus.runtime.invoker import Invoker
from stratus.runtime.launcher import HostContext, ProcessLauncher
from stratus.runtime.pool import EnvironmentPool
from stratus.runtime.zygote import SnapshotLauncher
from stratus.schedules.service import SchedulerService
from stratus.secrets.service import SecretService
from stratus.services import SCHEMAS, Services
from stratus.slow_clients import protocol_with_deadlines
from stratus.store.artifacts import ArtifactStore
from stratus.store.clock import Clock, SystemClock
from stratus.store.code import CodeStore
from stratus.store.crypto import SecretBox
from stratus.store.db import Database
from stratus.store.work import WorkQueue
from stratus.tables.service import TableService
from stratus.templates import providers
from stratus.templates.schema import SCHEMA as STACKS_SCHEMA
from stratus.templates.service import StackService
from stratus.topics.service import TopicService
from stratus.workflows.service import WorkflowService

log = logging.getLogger("stratus")


def create_app(settings: Settings, clock: Clock | None = None) -> Starlette:
    """The server's app; `clock` tells the work queue's time (tests pass a ManualClock)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        data = settings.data_dir
        data.mkdir(parents=True, exist_ok=True)
        db = Database(data / "stratus.db", (*SCHEMAS, STACKS_SCHEMA))
        logs = LogStore(db)
        metric_store = MetricStore(db)
        cage_maker = sandbox.detect(isolation=settings.isolation)
        tls = tls_files(data / "tls")  # the gateway's TLS door (gateway/callback_tls.py)
        launcher = ProcessLauncher(
            HostContext(
                settings.region,
                settings.endpoint_url,
                data / "work",
                settings.network,
                trust_dir=tls.certificate.parent,
            ),
            cage_maker,
            emit_log=logs.emit,
        )
        limits = ConcurrencyLimits(settings.account_concurrency)
        # A new snapshot holder forks ahead as many children as its function recently ran.
        pool = EnvironmentPool(
            SnapshotLauncher(launcher, limits.recent_peak), settings.idle_seconds
        )
        invoker = Invoker(pool, limits)
        metric_store.sources.append(invoker.metrics.drain)
        objects = ObjectService(settings, db, data / "objects")
        # Packages name the artifacts bucket, or any bucket of the object storage.
        artifacts = ArtifactStore(data / "artifacts", bridges.BucketObjects(objects))
        work = WorkQueue(db, clock or SystemClock())
        code = CodeStore(data / "code")
        functions = FunctionService(settings, db, code, invoker, work, artifacts)
        events = AsyncInvocations(work, functions, settings.async_retry_delays)
        concurrency = Concurrency(db, functions, invoker.concurrency, pool)
        queues = QueueService(settings, db)
        topics = TopicService(
            settings,
            db,
            work,
            bridges.QueueDelivery(queues),
            bridges.FunctionDelivery(events, functions),
            logs,  # the outbox of email and SMS (topics/outbox.py)
        )
        functions.destinations.register("sns", bridges.TopicDestination(topics))
        functions.destinations.register("sqs", bridges.QueueDestination(queues))
        logs.stagers.append(EmfMetrics().stage)  # EMF lines become metrics (observe/emf.py)
        logs.stagers.append(MetricFilterMetrics().stage)  # and lines metric filters match
        logs.stagers.append(bridges.LogSubscriptions(logs, events, settings.account_id).stage)
        # The bus's targets: log groups, and the destinations' kinds (functions, queues,
        # topics, buses, state machines).
        bus = EventBusService(
            settings, db, work, bridges.BusTargets(functions.destinations, logs).wait_deliver,
            bridges.DeadLetterQueues(queues).wait_send, bridges.rule_may_invoke(functions),
        )  # fmt: skip
        schedule_targets = bridges.ScheduleTargets(events, queues, topics, bus)
        scheduler = SchedulerService(settings, db, work, schedule_targets)
        functions.destinations.register("events", bridges.EventBusDestination(bus))
        tables = TableService(settings, db, work)
        mappings = MappingService(
            settings,
            db,
            bridges.mapping_seams_of(queues, functions, tables, topics),
            stream_clock=work.clock,
        )
        workflow_tasks = bridges.WorkflowTasks(functions, queues)
        workflows = WorkflowService(
            settings, db, work, workflow_tasks,
            log_sink=bridges.execution_log_sink(logs), storage=bridges.MapRunObjects(objects),
        )  # fmt: skip
        functions.destinations.register("states", bridges.StateMachineDestination(workflows))
        objects.notifications = Notifications(
            settings, work, bridges.NotificationTargets(queues, topics, functions, events, bus)
        )
        uploads = Multipart(objects, time.time)
        objects.lifecycle = lifecycle_sweep = LifecycleSweeper(objects, uploads, work, time.time)
        http_apis, rest_apis = ApiService(settings, db), RestApiService(settings, db)
        metrics = MetricService(metric_store)
        alarms = AlarmService(
            settings, AlarmStore(db), metrics, bridges.AlarmTargets(topics, events, bus)
        )
        await concurrency.wait_load()
        await functions.prepare_snapshots()
        box = SecretBox.in_directory(data)
        services = Services(
            settings=settings,
            functions=functions,
            concurrency=concurrency,
            async_invocations=events,
            apis=http_apis,
            rest_apis=rest_apis,
            domains=DomainService(db, rest_apis, http_apis),
            queues=queues,
            topics=topics,
            events=bus,
            mappings=mappings,
            logs=logs,
            metrics=metrics,
            alarms=alarms,
            dashboards=Dashboards(db),
            artifacts=artifacts,
            work=work,
            scheduler=scheduler,
            tables=tables,
            workflows=workflows,
            objects=objects,
            uploads=uploads,
            parameters=ParameterService(settings, db, box),
            secrets=SecretService(settings, db, box, work, bridges.RotationFunction(functions)),
            iam=IamService(settings, db),
        )
        stacks = StackService(settings, db, providers.REGISTRY, services, artifacts)
        # aws-sdk:* tasks and universal schedule targets call the adapters' handlers, in
        # process (aws/sdk_tasks.py).
        sdk = SdkCalls(lambda: services, lambda: stacks)
        workflow_tasks.sdk = sdk
        schedule_targets.sdk = sdk.scheduled
        app.state.services = services
        app.state.stacks = stacks
        # HTTP APIs' AWS service integrations (gateway/) call the same handlers.
        app.state.service_calls = ServiceCalls(sdk)
        # TestInvokeMethod (aws/) runs the REST data plane (gateway/), its sibling.
        test_invoke_http = HttpProxy()
        app.state.test_invoke = functools.partial(wait_test_invoke, services, test_invoke_http)
        app.state.test_authorizer = functools.partial(wait_test_authorizer, services)
        app.state.isolation = cage_maker.report(
            private_tmp=launcher.private_tmp, tmp_capped=launcher.scratch is not None
        ) | {"network": "outbound" if settings.network or not launcher.confined else "none"}
        for name in app.state.isolation["off"]:
            log.warning(
                "isolation: %s is OFF for every environment: %s",
                name,
                app.state.isolation["enable"][name],
            )
        log.info("Stratus serving on %s (data in %s)", settings.endpoint_url, data)
        door_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        try:
            async with (
                tls_door(tls, door_host, settings.port) as callback_port,
                asyncio.TaskGroup() as tasks,
            ):
                app.state.callback_port = callback_port  # WebSocket events' domainName
                background = [
                    tasks.create_task(logs.wait_flush_forever()),
                    tasks.create_task(metric_store.wait_flush_forever()),
                    tasks.create_task(alarms.wait_run_forever()),
                    tasks.create_task(pool.wait_reap_forever()),
                    tasks.create_task(events.wait_run_forever()),
                    tasks.create_task(concurrency.wait_run_forever()),
                    tasks.create_task(stacks.wait_run_forever()),
                    tasks.create_task(queues.wait_run_forever()),
                    tasks.create_task(bus.wait_run_forever()),
                    tasks.create_task(scheduler.wait_run_forever()),
                    tasks.create_task(topics.deliveries.wait_run_forever()),
                    tasks.create_task(mappings.wait_run_forever()),
                    tasks.create_task(services.tables.wait_run_forever()),
                    tasks.create_task(workflows.wait_run_forever()),
                    tasks.create_task(objects.notifications.wait_run_forever()),
                    tasks.create_task(lifecycle_sweep.wait_run_forever()),
                    tasks.create_task(services.secrets.wait_run_forever()),
                ]
                try:
                    yield
                finally:
                    for task in background:
                        task.cancel()
        finally:
            await invoker.wait_close()
            await pool.wait_close()
            await test_invoke_http.wait_close()
            await logs.wait_flush()
            await metric_store.wait_flush()
            cage_maker.close()
            launcher.close()
            db.close()

    app = build_app(lifespan, pages=workflow_pages.routes)
    app.add_middleware(ExecuteApi)  # HTTP APIs' data plane, by Host header or /_aws path
    app.add_middleware(FunctionUrlGateway)  # function URLs, by Host header or /_aws path
    if settings.fast_invoke and not settings.verify_signatures:
        # Outermost: it takes only requests the gateways would pass on; a signed request
        # must reach VerifySignatures, so with checking on every Invoke goes the generic way.
        app.add_middleware(FastInvoke, served=LAMBDA)
    return app


def uvicorn_config(settings: Settings, clock: Clock | None = None) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(settings, clock),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=protocol_with_deadlines(settings.header_timeout, settings.body_timeout),
    )


def serve(settings: Settings) -> None:
    _CollectedForServing(uvicorn_config(settings)).run()


YOUNG_COLLECTION_EVERY = 7_000  # new tracked objects (Python's default: 700)


class _CollectedForServing(uvicorn.Server):
    """uvicorn's server, with the garbage collector set for serving once start-up is done.

    Everything built by then (services, botocore's models, pydantic's schemas: ~130k
    objects) lives as long as the server, but every full collection walked it: 85-200 ms of
    the loop each, and under load they came every few seconds (at 64 connections, five in
    12 s: the gateway's p99). `gc.freeze` moves it to the permanent generation. And a young
    collection every 700 new objects (Python's default) ran ~100 times a second under load,
    each promoting the requests then in flight, which is what brought the full collections
    so often: every 7,000, the same 12 s at 64 connections spent 12-26 ms collecting instead
    of 350-530. Only in the server's own process: a server in a test's thread must not
    change the test's collector."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        gc.collect()  # start-up's garbage first: frozen, it would never be freed
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
