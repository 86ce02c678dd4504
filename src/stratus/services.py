"""The services of one Stratus server, as one typed record.

Interfaces (aws/, gateway/), the stack engine and, later, the console reach a service through
this record, never by name: a workflow Task, an event source mapping and a boto3 request call
the same methods. The composition root (`stratus.server`) builds it once.
"""

from __future__ import annotations

from dataclasses import dataclass

from stratus.alarms.service import AlarmService
from stratus.apis.domains import SCHEMA as API_DOMAINS_SCHEMA
from stratus.apis.domains import DomainService
from stratus.apis.http.service import ApiService
from stratus.apis.http.store import SCHEMA as HTTP_APIS_SCHEMA
from stratus.apis.ids import SCHEMA as API_IDS_SCHEMA
from stratus.apis.rest.service import RestApiService
from stratus.apis.rest.store import SCHEMA as REST_APIS_SCHEMA
from stratus.config import Settings
from stratus.events.service import EventBusService
from stratus.events.store import SCHEMA as EVENTS_SCHEMA
from stratus.functions.async_queue import AsyncInvocations
from stratus.functions.concurrency import Concurrency
from stratus.functions.schema import SCHEMA as FUNCTIONS_SCHEMA
from stratus.functions.service import FunctionService
from stratus.iam.schema import SCHEMA as IAM_SCHEMA
from stratus.iam.service import IamService
from stratus.mappings.schema import SCHEMA as MAPPINGS_SCHEMA
from stratus.mappings.service import MappingService
from stratus.objects.multipart import Multipart
from stratus.objects.schema import SCHEMA as OBJECTS_SCHEMA
from stratus.objects.service import ObjectService
from stratus.observe.dashboards import Dashboards
from stratus.observe.logs import LogStore
from stratus.observe.metric_service import MetricService
from stratus.observe.metrics_schema import SCHEMA as METRICS_SCHEMA
from stratus.observe.schema import SCHEMA as LOGS_SCHEMA
from stratus.parameters.schema import SCHEMA as PARAMETERS_SCHEMA
from stratus.parameters.service import ParameterService
from stratus.queues.schema import SCHEMA as QUEUES_SCHEMA
from stratus.queues.service import QueueService
from stratus.schedules.service import SchedulerService
from stratus.schedules.store import SCHEMA as SCHEDULES_SCHEMA
from stratus.secrets.schema import SCHEMA as SECRETS_SCHEMA
from stratus.secrets.service import SecretService
from stratus.store.artifacts import ArtifactStore
from stratus.store.db import Schema
from stratus.store.work import SCHEMA as WORK_SCHEMA
from stratus.store.work import WorkQueue
from stratus.tables.schema import SCHEMA as TABLES_SCHEMA
from stratus.tables.service import TableService
from stratus.topics.schema import SCHEMA as TOPICS_SCHEMA
from stratus.topics.service import TopicService
from stratus.workflows.schema import SCHEMA as WORKFLOWS_SCHEMA
from stratus.workflows.service import WorkflowService

# Every service's tables, in the order they are created (later ones may refer to earlier:
# the functions' migration 2 moves rows into the work queue's; API_IDS_SCHEMA's triggers keep
# one namespace of ids across HTTP and REST APIs).
SCHEMAS: tuple[Schema, ...] = (
    LOGS_SCHEMA,
    WORK_SCHEMA,
    FUNCTIONS_SCHEMA,
    HTTP_APIS_SCHEMA,
    REST_APIS_SCHEMA,
    API_IDS_SCHEMA,
    QUEUES_SCHEMA,
    TOPICS_SCHEMA,
    EVENTS_SCHEMA,
    SCHEDULES_SCHEMA,
    MAPPINGS_SCHEMA,
    TABLES_SCHEMA,
    WORKFLOWS_SCHEMA,
    OBJECTS_SCHEMA,
    PARAMETERS_SCHEMA,
    SECRETS_SCHEMA,
    API_DOMAINS_SCHEMA,
    IAM_SCHEMA,
    METRICS_SCHEMA,
)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    functions: FunctionService  # the only door to execution
    concurrency: Concurrency
    async_invocations: AsyncInvocations
    apis: ApiService  # HTTP APIs
    rest_apis: RestApiService
    domains: DomainService  # API Gateway's custom domain names (both kinds of API)
    queues: QueueService  # SQS
    topics: TopicService  # SNS
    events: EventBusService  # EventBridge: buses, rules, targets
    mappings: MappingService  # event source mappings (SQS -> functions)
    logs: LogStore
    metrics: MetricService  # CloudWatch metrics
    alarms: AlarmService  # CloudWatch alarms
    dashboards: Dashboards  # CloudWatch dashboards (kept, not drawn)
    artifacts: ArtifactStore
    work: WorkQueue  # durable work of every service
    scheduler: SchedulerService  # EventBridge Scheduler: schedule groups, schedules
    tables: TableService  # DynamoDB
    workflows: WorkflowService  # Step Functions
    objects: ObjectService  # S3: buckets and objects
    uploads: Multipart  # S3's multipart uploads
    parameters: ParameterService  # SSM Parameter Store
    secrets: SecretService  # Secrets Manager
    iam: IamService  # users, access keys, policies: who signed a request, what it may do
