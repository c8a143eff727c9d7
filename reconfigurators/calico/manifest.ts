// Rewriting a Calico release manifest for fedfeat's mode (pure): no overlay
// (IP-in-IP and VXLAN off), host-local IPAM on each node's podCIDR, the IP
// pool on the cluster's pod CIDR, the routing mode (cloud: policy only, the
// network routes podCIDRs; bgp: Calico's BGP without overlay), optionally the
// images from another registry, and every object labelled as fedfeat's so
// revert removes exactly what was installed.
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../kube-client/client.js';

export const DEFAULT_CALICO_VERSION = 'v3.28.2';
export const calicoManifestURL = (version: string) => `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/calico.yaml`;
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'fedfeat', 'app.kubernetes.io/part-of': 'fedfeat-calico' };

export type CalicoRouting = 'cloud' | 'bgp';
export const DEFAULT_ROUTING: CalicoRouting = 'cloud';
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Probe {
  exec?: { command?: string[] };
}
interface Container {
  name: string;
  image?: string;
  command?: string[];
  env?: EnvVar[];
  volumeMounts?: Array<{ name: string }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string }>;
}
type Workload = KubeObject & { spec: { template: { spec: PodSpec } } };
type ConfigMap = KubeObject & { data?: Record<string, string> };

/**
 * The manifest's objects, read as Kubernetes reads YAML (sigs.k8s.io/yaml is YAML 1.1: `defaultMode: 0400` is
 * octal 256, `on`/`yes` are booleans), not as YAML 1.2 (where 0400 is decimal 400).
 */
export function parseManifest(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { version: '1.1' })) {
    if (doc.errors.length) throw new Error(`manifest is not valid YAML: ${doc.errors[0]!.message}`);
    const obj = doc.toJS({ maxAliasCount: 100 }) as KubeObject | null;
    if (!obj) continue;
    if (obj.kind === 'List') out.push(...((obj as unknown as { items: KubeObject[] }).items ?? []));
    else if (obj.apiVersion && obj.kind && obj.metadata?.name) out.push(obj);
    else throw new Error(`manifest holds a document without apiVersion, kind and metadata.name: ${JSON.stringify(obj).slice(0, 120)}`);
  }
  return out;
}

function setEnv(c: Container, name: string, value: string): void {
  const env = c.env ?? [];
  const i = env.findIndex((e) => e.name === name);
  // In place: the order of env entries matters where later ones refer to earlier ones ($(VAR)).
  if (i >= 0) env[i] = { name, value };
  else env.push({ name, value });
  c.env = env;
}

// Calico's CNI config template has unquoted placeholders (e.g. "mtu": __CNI_MTU__): not JSON until quoted.
const RAW = /(?<!")\b(__[A-Z0-9_]+__)\b(?!")/g;

/** The CNI config template with IPAM set to host-local on the node's podCIDR; other fields and placeholders kept. */
export function hostLocalCniConfig(template: string): string {
  const quoted = template.replace(RAW, '"$1@raw"');
  let conf: { plugins?: Array<Record<string, unknown>> } & Record<string, unknown>;
  try {
    conf = JSON.parse(quoted) as typeof conf;
  } catch (e) {
    throw new Error(`calico-config cni_network_config is not a JSON template: ${(e as Error).message}`);
  }
  const plugins = conf.plugins ?? [conf];
  const calico = plugins.find((p) => p.type === 'calico');
  if (!calico) throw new Error('calico-config cni_network_config has no plugin of type "calico"');
  calico.ipam = { type: 'host-local', subnet: 'usePodCidr' };
  return JSON.stringify(conf, null, 2).replace(/"(__[A-Z0-9_]+__)@raw"/g, '$1');
}

export interface RewriteOptions {
  /** The IPv4 pool; undefined only when the objects are rendered to find what to remove (revert). */
  poolCIDR?: string;
  version: string;
  routing?: CalicoRouting;
  /** Registry (and path prefix) that replaces the registry of Calico's images, e.g. `registry.example/mirror`. */
  imageRegistry?: string;
}

/** `docker.io/calico/node:v3.28.2` → `<registry>/calico/node:v3.28.2`: the first path part goes when it names a registry. */
export function imageFrom(image: string, registry: string): string {
  const parts = image.split('/');
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost');
  return `${registry.replace(/\/+$/, '')}/${(hasRegistry ? parts.slice(1) : parts).join('/')}`;
}

/** The BIRD checks go from calico-node's probes where no BIRD runs (policy-only mode); Felix's stay. */
function felixOnlyProbe(p: Probe | undefined, drop: string): void {
  const cmd = p?.exec?.command;
  if (cmd) p.exec!.command = cmd.filter((a) => a !== drop);
}

export function rewriteCalicoManifest(objects: KubeObject[], o: RewriteOptions): KubeObject[] {
  const routing = o.routing ?? DEFAULT_ROUTING;
  const copy = JSON.parse(JSON.stringify(objects)) as KubeObject[];
  const ds = copy.find((x) => x.kind === 'DaemonSet' && x.metadata.name === 'calico-node') as Workload | undefined;
  if (!ds) throw new Error('manifest has no DaemonSet calico-node: is it a Calico release manifest (calico.yaml)?');
  const cm = copy.find((x) => x.kind === 'ConfigMap' && x.metadata.name === 'calico-config') as ConfigMap | undefined;
  if (!cm?.data?.cni_network_config) throw new Error('manifest has no ConfigMap calico-config with cni_network_config: is it the manifest-install calico.yaml (not the operator)?');
  cm.data.cni_network_config = hostLocalCniConfig(cm.data.cni_network_config);
  // calico-node reads its backend from here (CALICO_NETWORKING_BACKEND): none = Felix only, no BIRD, no confd.
  cm.data.calico_backend = routing === 'cloud' ? 'none' : 'bird';
  const pod = ds.spec.template.spec;
  const node = pod.containers.find((c) => c.name === 'calico-node');
  if (!node) throw new Error('DaemonSet calico-node has no container calico-node');
  setEnv(node, 'CALICO_IPV4POOL_IPIP', 'Never');
  setEnv(node, 'CALICO_IPV4POOL_VXLAN', 'Never');
  setEnv(node, 'CALICO_IPV6POOL_VXLAN', 'Never');
  if (o.poolCIDR !== undefined) {
    if (/\/0$/.test(o.poolCIDR)) throw new Error(`pool ${o.poolCIDR} covers every address: Calico would treat the whole internet as pods; set spec.calico.poolCIDR to the cluster's pod CIDR`);
    setEnv(node, 'CALICO_IPV4POOL_CIDR', o.poolCIDR);
  }
  // With host-local IPAM each node's addresses come from its podCIDR; Calico must route those.
  setEnv(node, 'USE_POD_CIDR', 'true');
  setEnv(node, 'CLUSTER_TYPE', routing === 'cloud' ? 'k8s' : 'k8s,bgp');
  if (routing === 'cloud') {
    felixOnlyProbe(node.livenessProbe, '-bird-live');
    felixOnlyProbe(node.readinessProbe, '-bird-ready');
  }
  // upgrade-ipam runs `calico-ipam -upgrade` on every start: it moves host-local's allocations into Calico IPAM
  // and deletes host-local's records, after which host-local hands out addresses running pods still hold.
  pod.initContainers = (pod.initContainers ?? []).filter((c) => !c.command?.some((a) => a === '-upgrade') && c.name !== 'upgrade-ipam');
  const mounted = new Set([...pod.containers, ...pod.initContainers].flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  if (pod.volumes) pod.volumes = pod.volumes.filter((v) => v.name !== 'host-local-net-dir' || mounted.has(v.name));
  if (o.imageRegistry) {
    for (const w of copy.filter((x) => x.kind === 'DaemonSet' || x.kind === 'Deployment') as Workload[]) {
      for (const c of [...w.spec.template.spec.containers, ...(w.spec.template.spec.initContainers ?? [])]) {
        if (c.image) c.image = imageFrom(c.image, o.imageRegistry);
      }
    }
  }
  for (const obj of copy) {
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...MANAGED_BY };
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), 'fedfeat.io/calico-version': o.version };
  }
  // CRDs first (everything else may use them), then namespaces, then the rest in manifest order.
  const rank = (k: string) => (k === 'CustomResourceDefinition' ? 0 : k === 'Namespace' ? 1 : 2);
  return copy.map((obj, i) => ({ obj, i })).sort((a, b) => rank(a.obj.kind) - rank(b.obj.kind) || a.i - b.i).map((x) => x.obj);
}
