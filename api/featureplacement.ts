// FeaturePlacement (feature.kubefed.io/v1alpha1, namespaced): a Deployment
// template placed only on members where every feature it needs is Supported,
// with mck8s's capacity policies and KubeFed's weighted division. Types and
// the pure readings of a spec (defaults, the features it asks for).
import type { KubeObject } from '../kube-client/client.js';
import type { DesiredFeature, FeatureConfigSpec } from './featureconfig.js';
import type { LabelSelector } from './label-selector.js';

export const FEATUREPLACEMENT_API_VERSION = 'feature.kubefed.io/v1alpha1';
export const FEATUREPLACEMENT_KIND = 'FeaturePlacement';
export const FEATUREPLACEMENT_PLURAL = 'featureplacements';
export const FEATUREPLACEMENT_FINALIZER = 'feature.kubefed.io/placement-cleanup';
export const DEFAULT_UNSCHEDULABLE_SECONDS = 30;

/** Features a placement can require: those fedfeat probes, by the names a FeatureConfig uses. */
export type RequiredFeatureName = 'podpreset' | 'cpumanagementpolicy' | 'networkpolicy';

export interface RequiredFeature {
  name: RequiredFeatureName;
  /** cpumanagementpolicy: none | static (required by the schema); podpreset, networkpolicy: "true" or absent. */
  value?: string;
}

export type PlacementPolicy = 'WorstFit' | 'BestFit' | 'Weighted' | 'Latency';
export type ReplicaSchedulingType = 'Divided' | 'Duplicated';
export type Overflow = 'Next' | 'None';

/** KubeFed's ReplicaSchedulingPreference ClusterPreferences. */
export interface ClusterPreferences {
  minReplicas?: number;
  maxReplicas?: number;
  weight?: number;
}

export interface ReplicaScheduling {
  type?: ReplicaSchedulingType;
  /** Per member name, or "*" for every member not named. */
  clusters?: Record<string, ClusterPreferences>;
}

/** The Deployment a placement propagates: its metadata (labels, annotations) and spec (replicas set per member). */
export interface DeploymentTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown> & {
    selector?: LabelSelector;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: PodSpec };
  };
}

export interface Container {
  name: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  [k: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, string>;
  affinity?: Record<string, unknown>;
  nodeSelector?: Record<string, string>;
  [k: string]: unknown;
}

/** Where users enter (policy Latency): a member, or a network coordinate (ms, as in a ClusterCoordinate). */
export interface LatencyOriginSpec {
  /** A member's KubeFedCluster name: its ClusterCoordinate is the origin's position. */
  member?: string;
  /** A position given directly (e.g. a site's coordinate); `name` labels it in status and events. */
  coordinate?: { vec: number[]; height?: number; adjustment?: number };
  name?: string;
  /** Share of the traffic entering here (relative to the other origins); default 1. */
  share?: number;
}

export interface LatencySpec {
  origins: LatencyOriginSpec[];
  /** Members predicted farther than this from every origin take no replicas. */
  maxRttMs?: number;
  /** Fraction of each origin's share spread by nearness, the rest evenly (proxy-mity's α); default 0.8. */
  alpha?: number;
  /** Decay of nearness per millisecond of RTT; default 0.1. */
  beta?: number;
}

export const DEFAULT_LATENCY_ALPHA = 0.8;
export const DEFAULT_LATENCY_BETA = 0.1;

export interface FeaturePlacementSpec {
  template: DeploymentTemplate;
  replicas: number;
  requiredFeatures?: RequiredFeature[];
  clusterSelector?: LabelSelector;
  policy?: PlacementPolicy;
  /** Policy Latency: where users enter and how replicas follow them. */
  latency?: LatencySpec;
  numberOfClusters?: number;
  replicaScheduling?: ReplicaScheduling;
  overflow?: Overflow;
  ensureFeatures?: boolean;
  unschedulableSeconds?: number;
  rebalance?: boolean;
}

export interface PlacementCondition {
  type: 'Scheduled' | 'Ready' | 'FeaturesEnsured';
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface PlacementMemberStatus {
  name: string;
  /** Replicas the placement gives this member. */
  assigned: number;
  /** Ready replicas of the member's Deployment. */
  ready: number;
  /** Pods of the member's Deployment not yet scheduled or started. */
  pending: number;
  /** Policy Latency: predicted round trip from the origins (traffic-weighted mean), ms. */
  rttMs?: number;
}

export interface ExcludedMember {
  name: string;
  reason: string;
  message: string;
}

export interface FeaturePlacementStatus {
  observedGeneration?: number;
  conditions?: PlacementCondition[];
  clusters?: PlacementMemberStatus[];
  /** Members the filter left out, and why (bounded). */
  excluded?: ExcludedMember[];
  /** Replicas no member could take (overflow None, or every member full). */
  unschedulable?: number;
  /** "assigned/replicas", for kubectl get. */
  summary?: string;
  lastDecisionTime?: string;
}

export interface FeaturePlacement extends KubeObject {
  spec: FeaturePlacementSpec;
  status?: FeaturePlacementStatus;
}

/** Spec with the schema's defaults, for objects that did not pass an API server (tests, old objects). */
export function withDefaults(spec: FeaturePlacementSpec): Required<Pick<FeaturePlacementSpec, 'policy' | 'overflow' | 'ensureFeatures' | 'unschedulableSeconds' | 'rebalance'>> & FeaturePlacementSpec & { replicaScheduling: { type: ReplicaSchedulingType; clusters: Record<string, ClusterPreferences> } } {
  return {
    ...spec,
    policy: spec.policy ?? 'WorstFit',
    overflow: spec.overflow ?? 'Next',
    ensureFeatures: spec.ensureFeatures ?? false,
    unschedulableSeconds: spec.unschedulableSeconds ?? DEFAULT_UNSCHEDULABLE_SECONDS,
    rebalance: spec.rebalance ?? false,
    replicaScheduling: { type: spec.replicaScheduling?.type ?? 'Divided', clusters: spec.replicaScheduling?.clusters ?? {} },
  };
}

/** Key of a required feature with its value, e.g. "cpumanagementpolicy=static", "podpreset". */
export function featureKey(f: RequiredFeature): string {
  return f.name === 'cpumanagementpolicy' ? `${f.name}=${f.value ?? 'static'}` : f.name;
}

/**
 * Whether a FeatureConfig's desired feature gives what a placement requires: same name, and for the CPU manager
 * policy the same value (a structured `kubelet` feature counts when its cpuManagerPolicy matches).
 */
export function provides(d: DesiredFeature, r: RequiredFeature): boolean {
  if (r.name === 'cpumanagementpolicy') {
    return (d.name === 'cpumanagementpolicy' || d.name === 'kubelet') && (d.kubelet.cpuManagerPolicy ?? 'none') === (r.value ?? 'static');
  }
  return d.name === r.name;
}

/** Node-level features: a member's nodes differ, and only nodes whose kubelet shows the feature count. */
export const isNodeLevel = (r: RequiredFeature) => r.name === 'cpumanagementpolicy';

/** The FeatureConfig spec that enforces a placement's required features (ensureFeatures: true). */
export function ensureSpec(required: RequiredFeature[], clusterSelector?: LabelSelector): FeatureConfigSpec {
  const spec: FeatureConfigSpec = { mode: 'enforce', deletionPolicy: 'Retain' };
  for (const r of required) {
    if (r.name === 'podpreset') spec.podpreset = true;
    else if (r.name === 'networkpolicy') spec.networkpolicy = true;
    else spec.cpumanagementpolicy = (r.value ?? 'static') as 'none' | 'static';
  }
  if (clusterSelector) spec.clusterSelector = clusterSelector;
  return spec;
}
