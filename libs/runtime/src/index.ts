export { listenOn, parseBindAddress, type BindAddress } from './program/bind-address.ts';
export {
  envName,
  FlagError,
  formatDuration,
  parseDuration,
  parseFlags,
  renderHelp,
  type FlagDef,
  type FlagSpecs,
  type FlagValues,
} from './program/flags.ts';
export { HealthServer, type ReadinessCheck, type RouteHandler } from './program/health-server.ts';
export {
  commonFlags,
  runProgram,
  type CommonFlags,
  type ProgramContext,
  type ProgramIO,
  type ProgramSpec,
  type StopFn,
} from './program/program.ts';
export { createManager, managerFlags, traceExportReporter, type CreateManagerOptions, type ManagerFlags, type ManagerProgramContext } from './program/manager-program.ts';

export { ApiError, isAlreadyExists, isConflict, isGone, isNotFound } from './client/api-error.ts';
export { apiVersionOf, collectionPath, kindId, Kinds, objectPath, type ResourceKind } from './client/kinds.ts';
export {
  findKubeConfig,
  inClusterConfig,
  KubeConfigLoader,
  loadKubeConfig,
  mergeKubeconfigs,
  parseKubeconfigText,
  resolveKubeconfig,
  type KubeConnection,
  type ResolvedKubeConfig,
} from './client/kubeconfig.ts';
export { KubeClient, type KubeClientOptions, type PatchType, type Query, type RequestOptions, type TransportStats } from './client/kube-client.ts';
export {
  controllerOf,
  keyOf,
  objectKey,
  parseKey,
  type KubeObject,
  type ObjectList,
  type ObjectMeta,
  type ObjectRef,
  type OwnerReference,
} from './client/objects.ts';

export { Informer, type EventHandlers, type InformerOptions, type InformerStats } from './cache/informer.ts';
export { clientListerWatcher, type ListerWatcher, type ListOptions, type Selection, type WatchEvent } from './cache/lister-watcher.ts';
export { byControllerUID, byLabel, byNamespace, byOwnerUID, CONTROLLER_UID_INDEX } from './cache/indexers.ts';
export { Store, type IndexFn, type ReplaceResult } from './cache/store.ts';
export { compareResourceVersions, OwnWrites } from './cache/own-writes.ts';
export { admitObject, trimObject, trimPod, type Transform } from './cache/trim.ts';

export { WorkQueue, type WorkQueueMetrics, type WorkQueueOptions } from './queue/work-queue.ts';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  TokenBucket,
  type RateLimiter,
} from './queue/rate-limiter.ts';
export { MinHeap } from './queue/min-heap.ts';
export { DeadlineScheduler, type DueDeadline } from './time/deadline-scheduler.ts';
export { MAX_TIMER_MS, realClock, sleep, type Clock, type TimerHandle } from './time/clock.ts';
export { FakeClock } from './time/fake-clock.ts';

export { ControllerBuilder, type MapFn, type WatchOptions } from './controller/builder.ts';
export { Controller, type ControllerOptions } from './controller/controller.ts';
export { Expectations } from './controller/expectations.ts';
export { inBatches, slowStart, slowStartBatches } from './controller/slow-start.ts';
export * as predicates from './controller/predicates.ts';
export { type ObjectEvent, type Predicate } from './controller/predicates.ts';
export { isTerminal, TerminalError, type ReconcileContext, type Reconciler, type Request, type Result } from './controller/reconcile.ts';

export { LeaderElector, type LeaderCallbacks, type LeaderElectionOptions } from './leader/leader-elector.ts';
export { decide, nextSpec, observe, releasedSpec, type LeaseAction, type LeaseSpec, type Observation } from './leader/lease-logic.ts';

export { Manager, type InformerTuning, type ManagerOptions } from './manager/manager.ts';
export { RuntimeMetrics, type ReconcileOutcome } from './metrics/runtime-metrics.ts';

export {
  conditionsEqual,
  findCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
  toTime,
  type Condition,
  type ConditionInput,
} from './write/conditions.ts';
export { EventRecorder, type EventRecorderOptions, type EventType } from './write/event-recorder.ts';
export { Writer, type WriteOptions } from './write/writer.ts';
export { TRACE_CONTEXT_ANNOTATION, withTraceContext } from '@agent-sandbox/telemetry';
