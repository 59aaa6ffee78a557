import { collectionPath, type ResourceKind } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject, ObjectList } from '../client/objects.ts';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface ListOptions {
  limit: number;
  continue?: string;
  signal: AbortSignal;
}

export interface WatchOptions<T extends KubeObject = KubeObject> {
  resourceVersion: string;
  /**
   * A streaming list (the API server's watch-list): the watch starts with every current object
   * as an ADDED event, then a BOOKMARK annotated `k8s.io/initial-events-end`, then the changes.
   * `resourceVersion` is ignored (the stream starts from the latest state).
   */
  sendInitialEvents?: boolean;
  /** The server ends the watch after this long (the informer jitters it). */
  timeoutSeconds: number;
  signal: AbortSignal;
  onEvent: (event: WatchEvent<T>) => void;
  /** Every chunk of the stream, events or not: the watchdog's heartbeat. */
  onData?: () => void;
}

/**
 * What an informer needs from the API server (client-go's ListerWatcher): a page of a list, and
 * a watch that resolves when the server ends it. The informer owns everything else (resume,
 * relist, backoff, watchdog), so tests can drive it with a scripted stream.
 */
export interface ListerWatcher<T extends KubeObject = KubeObject> {
  list(options: ListOptions): Promise<ObjectList<T>>;
  watch(options: WatchOptions<T>): Promise<void>;
}

export interface Selection {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** The REST list and watch of one kind (in one namespace or all), with bookmarks. */
export function clientListerWatcher<T extends KubeObject>(client: KubeClient, kind: ResourceKind, selection: Selection = {}): ListerWatcher<T> {
  const { namespace, labelSelector, fieldSelector } = selection;
  return {
    list: ({ limit, continue: cont, signal }) => client.list<T>(kind, { namespace, query: { limit, continue: cont, labelSelector, fieldSelector }, signal }),
    watch: ({ resourceVersion, sendInitialEvents, timeoutSeconds, signal, onEvent, onData }) =>
      client.stream(collectionPath(kind, namespace), {
        query: {
          watch: true,
          allowWatchBookmarks: true,
          ...(sendInitialEvents ? { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' } : { resourceVersion }),
          timeoutSeconds,
          labelSelector,
          fieldSelector,
        },
        signal,
        onData,
        onLine: (line) => onEvent(line as WatchEvent<T>),
      }),
  };
}
