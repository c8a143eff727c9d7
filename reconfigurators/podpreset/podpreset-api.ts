// PodPreset (settings.k8s.io/v1alpha1), the API Kubernetes removed after 1.19,
// in its original shape so old manifests apply unchanged.
import type { KubeObject } from '../../kube-client/client.js';
import type { LabelSelector } from '../../api/label-selector.js';

export const PODPRESET_GROUP = 'settings.k8s.io';
export const PODPRESET_VERSION = 'v1alpha1';
export const PODPRESET_API_VERSION = `${PODPRESET_GROUP}/${PODPRESET_VERSION}`;
export const PODPRESET_PLURAL = 'podpresets';
export const PODPRESET_CRD_NAME = `${PODPRESET_PLURAL}.${PODPRESET_GROUP}`;
/** Annotation on pods: which presets were applied, at which resourceVersion. */
export const APPLIED_ANNOTATION_PREFIX = 'podpreset.admission.kubernetes.io/podpreset-';
/** Annotation on pods that opts them out. */
export const EXCLUDE_ANNOTATION = 'podpreset.admission.kubernetes.io/exclude';

// Core v1 shapes as far as the merge needs them; everything else passes through untouched.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}
export type EnvFromSource = Record<string, unknown>;
export interface VolumeMount {
  name: string;
  mountPath: string;
  [k: string]: unknown;
}
export interface Volume {
  name: string;
  [k: string]: unknown;
}

export interface PodPresetSpec {
  selector?: LabelSelector;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumes?: Volume[];
  volumeMounts?: VolumeMount[];
}

export interface PodPreset extends KubeObject {
  spec: PodPresetSpec;
}

export interface Container {
  name: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  volumeMounts?: VolumeMount[];
  [k: string]: unknown;
}

export interface Pod extends KubeObject {
  spec: { containers: Container[]; initContainers?: Container[]; volumes?: Volume[]; [k: string]: unknown };
}
