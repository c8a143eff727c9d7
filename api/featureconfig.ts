// FeatureConfig (feature.kubefed.io/v1alpha1) types and the pure translation
// from its two spec forms (flat, from the original API; structured) into the
// list of features a member must have.
import type { KubeObject } from '../kube-client/client.js';
import type { LabelSelector } from './label-selector.js';

export const FEATURECONFIG_API_VERSION = 'feature.kubefed.io/v1alpha1';
export const FEATURECONFIG_PLURAL = 'featureconfigs';
export const FEATURECONFIG_FINALIZER = 'feature.kubefed.io/cleanup';

export interface KubeletSettings {
  cpuManagerPolicy?: 'none' | 'static';
  reservedSystemCPUs?: string;
  kubeReserved?: Record<string, string>;
  systemReserved?: Record<string, string>;
  containerLogMaxSize?: string;
  containerLogMaxFiles?: number;
  imageGCHighThresholdPercent?: number;
  imageGCLowThresholdPercent?: number;
}

export interface CalicoSettings {
  version?: string;
  manifestURL?: string;
  poolCIDR?: string;
  /** cloud (default): the network routes each node's podCIDR, Calico enforces policy only; bgp: Calico's BGP, no overlay. */
  routing?: 'cloud' | 'bgp';
  /** Registry that replaces docker.io in Calico's image names (a mirror, or locally imported images). */
  imageRegistry?: string;
}

export interface FeatureConfigSpec {
  cpumanagementpolicy?: 'none' | 'static';
  podpreset?: boolean;
  networkpolicy?: boolean;
  kubelet?: KubeletSettings;
  calico?: CalicoSettings;
  clusterSelector?: LabelSelector;
  mode?: 'enforce' | 'inform';
  deletionPolicy?: 'Retain' | 'Revert';
  rollout?: {
    canarySelector?: { matchLabels?: Record<string, string> };
    maxConcurrentClusters?: number;
    maxUnavailableNodes?: number;
    /** Cordon and drain each node (Eviction API, PodDisruptionBudgets respected) before its kubelet restarts; uncordon once verified. Default false. */
    drainNodes?: boolean;
  };
}

export type FeatureState = 'Supported' | 'Missing' | 'Reconfiguring' | 'Failed' | 'Unknown' | 'Reverted';

export interface FeatureStatus {
  name: FeatureName;
  state: FeatureState;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface ClusterFeatureStatus {
  name: string;
  reachable?: boolean;
  features: FeatureStatus[];
  /**
   * Per node-level feature, the nodes whose kubelet the last probe found running the desired settings (stored in
   * the ClusterFeatureStatus, restored after a restart). Placement counts only those nodes.
   */
  nodes?: Partial<Record<FeatureName, string[]>>;
}

export interface Condition {
  /** Reported: decentralized mode only (every selected member of the fleet reported for the current fleet generation). */
  type: 'Ready' | 'Progressing' | 'Degraded' | 'Reported';
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** A member feature that needs attention, in the FeatureConfig's bounded list. */
export interface AttentionItem {
  cluster: string;
  feature: FeatureName;
  state: FeatureState;
  reason?: string;
  message?: string;
}

/**
 * Stays small at any fleet size: counts and a bounded list. Each member's results are a
 * ClusterFeatureStatus object (api/cluster-feature-status.ts).
 */
export interface FeatureConfigStatus {
  observedGeneration?: number;
  clusterSummary?: string;
  conditions?: Condition[];
  members?: { selected: number; reported: number; ready: number };
  featureCounts?: Partial<Record<Exclude<FeatureState, 'Reverted'>, number>>;
  attention?: AttentionItem[];
}

export interface FeatureConfig extends KubeObject {
  spec: FeatureConfigSpec;
  status?: FeatureConfigStatus;
}

/** Feature names as they appear in status. */
export type FeatureName = 'podpreset' | 'cpumanagementpolicy' | 'kubelet' | 'networkpolicy';

export type DesiredFeature =
  | { name: 'podpreset' }
  | { name: 'cpumanagementpolicy' | 'kubelet'; kubelet: KubeletSettings; maxUnavailableNodes?: number; drainNodes?: boolean }
  | { name: 'networkpolicy'; calico: CalicoSettings };

/**
 * The features a spec asks for. The flat cpumanagementpolicy is shorthand for
 * kubelet.cpuManagerPolicy: alone it is the feature "cpumanagementpolicy";
 * with structured kubelet settings everything is one feature "kubelet".
 * `podpreset: false` asks for nothing (it does not ask for removal).
 */
export function desiredFeatures(spec: FeatureConfigSpec): DesiredFeature[] {
  const out: DesiredFeature[] = [];
  if (spec.podpreset) out.push({ name: 'podpreset' });
  const policy = spec.cpumanagementpolicy ?? spec.kubelet?.cpuManagerPolicy;
  const nodes = {
    ...(spec.rollout?.maxUnavailableNodes ? { maxUnavailableNodes: spec.rollout.maxUnavailableNodes } : {}),
    ...(spec.rollout?.drainNodes ? { drainNodes: true } : {}),
  };
  if (spec.kubelet && Object.keys(spec.kubelet).length) {
    out.push({ name: 'kubelet', kubelet: { ...spec.kubelet, ...(policy ? { cpuManagerPolicy: policy } : {}) }, ...nodes });
  } else if (policy) {
    out.push({ name: 'cpumanagementpolicy', kubelet: { cpuManagerPolicy: policy }, ...nodes });
  }
  if (spec.networkpolicy) out.push({ name: 'networkpolicy', calico: spec.calico ?? {} });
  return out;
}

export const modeOf = (spec: FeatureConfigSpec) => spec.mode ?? 'enforce';
export const deletionPolicyOf = (spec: FeatureConfigSpec) => spec.deletionPolicy ?? 'Retain';
