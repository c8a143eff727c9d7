// ClusterCoordinate (feature.kubefed.io/v1alpha1, namespaced): a member's
// Vivaldi network coordinate as the fedfeat controller estimates it from its
// health probes, in its own small object (named like the member, owned by its
// KubeFedCluster so it goes with it). Latency-aware placement reads these;
// `kubectl get ccoord` and `fedfeat status` show them. Milliseconds, for people.
import type { KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import type { MemberCoordinateView } from '../coordinates/member-coordinates.js';
import type { Coordinate } from '../coordinates/vivaldi.js';
import { FEATURECONFIG_API_VERSION } from './featureconfig.js';
import { KUBEFED_API_VERSION, KUBEFED_NAMESPACE } from './kubefed.js';

export const CCOORD_KIND = 'ClusterCoordinate';
export const CCOORD_PLURAL = 'clustercoordinates';
export const CCOORD_NAMESPACE = KUBEFED_NAMESPACE;
/** On agent-sourced objects: the member whose agent wrote it (each agent writes the fleet's coordinates seen from it). */
export const AGENT_OBSERVER_LABEL = 'feature.kubefed.io/observer';
export const ccoordPath = (name?: string) => resourcePath(FEATURECONFIG_API_VERSION, CCOORD_PLURAL, CCOORD_NAMESPACE, name);

export interface CoordinateMs {
  vec: number[];
  height: number;
  adjustment: number;
  error: number;
}

export interface ClusterCoordinateObject extends KubeObject {
  cluster: string;
  /** Where the coordinate was measured from: "host" (the controller's probes) or "agents". */
  source: string;
  coordinate: CoordinateMs;
  /** The controller's own coordinate when this was written: predicted RTTs are measured from it. */
  hostCoordinate?: CoordinateMs;
  measuredRTTMilliseconds: number;
  predictedRTTMilliseconds: number;
  samples: number;
  updateTime: string;
}

const round = (x: number) => Math.round(x * 1000) / 1000; // µs precision is plenty for RTTs and keeps objects small

export function toMilliseconds(c: Coordinate): CoordinateMs {
  return { vec: c.vec.map((x) => round(x * 1000)), height: round(c.height * 1000), adjustment: round(c.adjustment * 1000), error: round(c.error) };
}

export function fromMilliseconds(c: CoordinateMs): Coordinate {
  return { vec: c.vec.map((x) => x / 1000), height: c.height / 1000, adjustment: c.adjustment / 1000, error: c.error };
}

/** The object for one member (pure). */
export function renderClusterCoordinate(
  cluster: { name: string; uid: string }, view: MemberCoordinateView, host: Coordinate, now: Date,
): ClusterCoordinateObject {
  return coordinateObject(cluster.name, 'host', view, host, now, {
    labels: { 'app.kubernetes.io/managed-by': 'fedfeat' },
    ownerReferences: [{ apiVersion: KUBEFED_API_VERSION, kind: 'KubeFedCluster', name: cluster.name, uid: cluster.uid }],
  });
}

/**
 * In decentralized mode, on each member: a fleet member's coordinate as its own agent published it, with the
 * round trips and predictions seen from this member's agent (the observer) — pure. No owner: members have no
 * KubeFedCluster objects; the agent deletes the object of a member that left the fleet (coordinate-sync.ts).
 */
export function renderAgentClusterCoordinate(
  observer: string, cluster: string, view: MemberCoordinateView, observerCoordinate: Coordinate, now: Date,
): ClusterCoordinateObject {
  return coordinateObject(cluster, 'agents', view, observerCoordinate, now, {
    labels: { 'app.kubernetes.io/managed-by': 'fedfeat', [AGENT_OBSERVER_LABEL]: observer },
  });
}

/** The object both renderers write: the coordinate and the round trips, seen from `from` (host or agent). */
function coordinateObject(
  cluster: string, source: 'host' | 'agents', view: MemberCoordinateView, from: Coordinate, now: Date,
  meta: Pick<KubeObject['metadata'], 'labels' | 'ownerReferences'>,
): ClusterCoordinateObject {
  return {
    apiVersion: FEATURECONFIG_API_VERSION, kind: CCOORD_KIND,
    metadata: { name: cluster, namespace: CCOORD_NAMESPACE, ...meta },
    cluster,
    source,
    coordinate: toMilliseconds(view.coordinate),
    hostCoordinate: toMilliseconds(from),
    measuredRTTMilliseconds: round(view.measuredRTT * 1000),
    predictedRTTMilliseconds: round(view.predictedRTT * 1000),
    samples: view.samples,
    updateTime: now.toISOString(),
  };
}
