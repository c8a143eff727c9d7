// Rewriting a Calico release manifest for fedfeat's mode (pure): no overlay
// (IP-in-IP and VXLAN off), host-local IPAM on each node's podCIDR, the IP
// pool on the cluster's pod CIDR, and every object labelled as fedfeat's so
// revert removes exactly what was installed.
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../kube-client/client.js';

export const DEFAULT_CALICO_VERSION = 'v3.28.2';
export const calicoManifestURL = (version: string) => `https://raw.githubusercontent.com/projectcalico/calico/${version}/manifests/calico.yaml`;
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'fedfeat', 'app.kubernetes.io/part-of': 'fedfeat-calico' };

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Container {
  name: string;
  env?: EnvVar[];
}
type DaemonSet = KubeObject & { spec: { template: { spec: { containers: Container[]; initContainers?: Container[] } } } };
type ConfigMap = KubeObject & { data?: Record<string, string> };

export function parseManifest(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`manifest is not valid YAML: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (!obj) continue;
    if (obj.kind === 'List') out.push(...((obj as unknown as { items: KubeObject[] }).items ?? []));
    else if (obj.apiVersion && obj.kind && obj.metadata?.name) out.push(obj);
    else throw new Error(`manifest holds a document without apiVersion, kind and metadata.name: ${JSON.stringify(obj).slice(0, 120)}`);
  }
  return out;
}

function setEnv(c: Container, name: string, value: string): void {
  c.env = [...(c.env ?? []).filter((e) => e.name !== name), { name, value }];
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
  poolCIDR: string;
  version: string;
}

export function rewriteCalicoManifest(objects: KubeObject[], o: RewriteOptions): KubeObject[] {
  const copy = JSON.parse(JSON.stringify(objects)) as KubeObject[];
  const ds = copy.find((x) => x.kind === 'DaemonSet' && x.metadata.name === 'calico-node') as DaemonSet | undefined;
  if (!ds) throw new Error('manifest has no DaemonSet calico-node: is it a Calico release manifest (calico.yaml)?');
  const cm = copy.find((x) => x.kind === 'ConfigMap' && x.metadata.name === 'calico-config') as ConfigMap | undefined;
  if (!cm?.data?.cni_network_config) throw new Error('manifest has no ConfigMap calico-config with cni_network_config: is it the manifest-install calico.yaml (not the operator)?');
  cm.data.cni_network_config = hostLocalCniConfig(cm.data.cni_network_config);
  const node = ds.spec.template.spec.containers.find((c) => c.name === 'calico-node');
  if (!node) throw new Error('DaemonSet calico-node has no container calico-node');
  setEnv(node, 'CALICO_IPV4POOL_IPIP', 'Never');
  setEnv(node, 'CALICO_IPV4POOL_VXLAN', 'Never');
  setEnv(node, 'CALICO_IPV6POOL_VXLAN', 'Never');
  setEnv(node, 'CALICO_IPV4POOL_CIDR', o.poolCIDR);
  // With host-local IPAM each node's addresses come from its podCIDR; Calico must route those.
  setEnv(node, 'USE_POD_CIDR', 'true');
  for (const obj of copy) {
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...MANAGED_BY };
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), 'fedfeat.io/calico-version': o.version };
  }
  // CRDs first (everything else may use them), then namespaces, then the rest in manifest order.
  const rank = (k: string) => (k === 'CustomResourceDefinition' ? 0 : k === 'Namespace' ? 1 : 2);
  return copy.map((obj, i) => ({ obj, i })).sort((a, b) => rank(a.obj.kind) - rank(b.obj.kind) || a.i - b.i).map((x) => x.obj);
}

/** The smallest IPv4 CIDR that covers every given CIDR (pure): the pool when the user names none. */
export function coveringCidr(cidrs: string[]): string | undefined {
  const parsed = cidrs.filter((c) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(c)).map((c) => {
    const [ip, len] = c.split('/') as [string, string];
    const n = ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
    return { n, len: Number(len) };
  });
  if (!parsed.length) return undefined;
  let len = Math.min(...parsed.map((p) => p.len));
  const mask = (l: number) => (l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0);
  const base = (n: number, l: number) => (n & mask(l)) >>> 0;
  while (len > 0 && !parsed.every((p) => base(p.n, len) === base(parsed[0]!.n, len))) len--;
  const b = base(parsed[0]!.n, len);
  return `${[24, 16, 8, 0].map((s) => (b >>> s) & 255).join('.')}/${len}`;
}
