import { checkSettings, configFlag, mergeKubeletConfig, planKubeletChange, readEffective, type KubeletSources } from '../../../../daemonset-scripts/kubelet-agent/config-file.js';
import { dropinOrder, kubeletProblems, parseCpuSet, parseQuantity, reservedCpuMillis } from '../../../../daemonset-scripts/kubelet-agent/kubelet-rules.js';
import { parseKubeletConfig } from '../../../../daemonset-scripts/kubelet-agent/kubelet-yaml.js';

import { AKS, EKS_AL2023, EKS_ARGV, EKS_DROPIN, GKE_COS, K3S_ARGV, KUBEADM, KUBEADM_DEFAULT } from '../../../support/kubelet-configs.js';

const eks = (dropins: Array<[string, string]> = [['40-nodeadm.conf', EKS_DROPIN]]): KubeletSources => ({
  main: { path: '/etc/kubernetes/kubelet/config.json', text: EKS_AL2023 },
  dropinDir: '/etc/kubernetes/kubelet/config.json.d',
  dropins: dropins.map(([n, text]) => ({ path: `/etc/kubernetes/kubelet/config.json.d/${n}`, text })),
  argv: EKS_ARGV,
});
const dropin = (body: Record<string, unknown>) => JSON.stringify({ apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', ...body }, null, 4) + '\n';

describe('kubelet config merge (pure)', () => {
  it('sets the static policy, reserves CPU, and keeps every other field and comment', () => {
    const out = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static' });
    expect(out.changed).toEqual(['cpuManagerPolicy', 'reservedSystemCPUs']);
    expect(out.cpuPolicyChanged).toBe(true);
    expect(out.text).toBe(`${KUBEADM}cpuManagerPolicy: static\nreservedSystemCPUs: "0"\n`);
    expect(out.record.added).toEqual([{ file: 'kubelet config', path: ['reservedSystemCPUs'], value: '0', createdParent: false }]);
  });

  it('does not reserve CPU twice, merges reserved resources per resource, and reports no change when there is none', () => {
    const out = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m' } });
    expect(out.changed).toEqual(['cpuManagerPolicy', 'kubeReserved.cpu']);
    expect(out.text).not.toContain('reservedSystemCPUs');
    expect(out.text).toMatch(/kubeReserved:\n {2}memory: 512Mi\n {2}cpu: 500m\n/);
    const again = mergeKubeletConfig(out.text, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m' } });
    expect(again).toEqual({ text: out.text, changed: [], cpuPolicyChanged: false, record: { added: [] } });
  });

  it('keeps JSON files JSON with their indentation (EKS, AKS)', () => {
    const json = '{\n    "kind": "KubeletConfiguration",\n    "apiVersion": "kubelet.config.k8s.io/v1beta1",\n    "maxPods": 58\n}\n';
    const out = mergeKubeletConfig(json, { containerLogMaxSize: '50Mi', containerLogMaxFiles: 3 });
    expect(out.text).toBe('{\n    "kind": "KubeletConfiguration",\n    "apiVersion": "kubelet.config.k8s.io/v1beta1",\n    "maxPods": 58,\n    "containerLogMaxSize": "50Mi",\n    "containerLogMaxFiles": 3\n}\n');
    expect(out.cpuPolicyChanged).toBe(false);
  });

  it('refuses fields and values it cannot apply safely, naming each', () => {
    expect(() => checkSettings({ maxPods: 500 })).toThrow(/maxPods: fedfeat does not change this kubelet field/);
    expect(() => checkSettings({ cpuManagerPolicy: 'dynamic', containerLogMaxFiles: 1 })).toThrow(/cpuManagerPolicy: must be none or static.*containerLogMaxFiles: must be a whole number of at least 2/);
    expect(() => checkSettings({ reservedSystemCPUs: '3-1' })).toThrow(/range "3-1" goes backwards/);
    expect(() => checkSettings({ kubeReserved: { cpu: 'lots' } })).toThrow(/cpu must be a quantity string/);
    expect(() => checkSettings({ systemReserved: { gpu: '1' } })).toThrow(/cannot reserve "gpu"/);
    expect(() => mergeKubeletConfig('kind: Pod\n', { cpuManagerPolicy: 'static' })).toThrow(/holds a Pod, not a KubeletConfiguration/);
  });

  it('reads --config from the kubelet command line', () => {
    expect(configFlag(['/usr/bin/kubelet', '--config=/etc/k/c.yaml', '--v=2'])).toBe('/etc/k/c.yaml');
    expect(configFlag(['/usr/bin/kubelet', '--config', '/x.yaml'])).toBe('/x.yaml');
    expect(configFlag(['/usr/bin/kubelet'])).toBeUndefined();
  });
});

describe('rule: reservedSystemCPUs cannot be combined with systemReservedCgroup or kubeReservedCgroup', () => {
  it('the kubelet check itself', () => {
    expect(kubeletProblems({ reservedSystemCPUs: '0', systemReservedCgroup: '/system' })).toEqual([
      'reservedSystemCPUs cannot be combined with systemReservedCgroup (/system): the kubelet refuses to start',
    ]);
    expect(kubeletProblems({ reservedSystemCPUs: '0', kubeReservedCgroup: '/runtime', systemReservedCgroup: '' })).toHaveLength(1);
    expect(kubeletProblems({ reservedSystemCPUs: '', kubeReservedCgroup: '/runtime' })).toEqual([]);
  });

  it('EKS AL2023 (cgroups set, 80m reserved): static needs nothing more', () => {
    const plan = planKubeletChange(eks(), { cpuManagerPolicy: 'static' });
    expect(plan.changed).toEqual(['cpuManagerPolicy']);
    expect(plan.writes.map((w) => w.path)).toEqual(['/etc/kubernetes/kubelet/config.json']);
    expect(plan.effective.reservedSystemCPUs).toBeUndefined();
  });

  it('with cgroups set and no CPU reserved, reserves through systemReserved.cpu instead', () => {
    const noCpu = EKS_AL2023.replace('"cpu": "80m",\n        ', '');
    const src = { ...eks(), main: { path: '/etc/kubernetes/kubelet/config.json', text: noCpu } };
    const plan = planKubeletChange(src, { cpuManagerPolicy: 'static' });
    expect(plan.changed).toEqual(['cpuManagerPolicy', 'systemReserved.cpu']);
    expect(plan.writes[0]!.text).toBe(noCpu.replace(/\n}\n$/, ',\n    "cpuManagerPolicy": "static",\n    "systemReserved": {\n        "cpu": "1"\n    }\n}\n'));
    expect(plan.effective.reservedSystemCPUs).toBeUndefined();
    expect(plan.record.added).toEqual([{ file: '/etc/kubernetes/kubelet/config.json', path: ['systemReserved', 'cpu'], value: '1', createdParent: true }]);
  });

  it('refuses an explicit reservedSystemCPUs there, naming the cgroup and the file it comes from', () => {
    expect(() => planKubeletChange(eks(), { cpuManagerPolicy: 'static', reservedSystemCPUs: '0-1' })).toThrow(
      'refusing to write a kubelet configuration the kubelet would reject: reservedSystemCPUs cannot be combined with systemReservedCgroup (/system) and kubeReservedCgroup (/runtime): the kubelet refuses to start (reservedSystemCPUs from /etc/kubernetes/kubelet/config.json, systemReservedCgroup from /etc/kubernetes/kubelet/config.json, kubeReservedCgroup from /etc/kubernetes/kubelet/config.json)',
    );
  });
});

describe('rule: the static policy needs a non-zero CPU reservation', () => {
  it('parses quantities as Kubernetes does', () => {
    expect(parseQuantity('0')).toBe(0);
    expect(parseQuantity('0m')).toBe(0);
    expect(parseQuantity('0.0')).toBe(0);
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('1Ki')).toBe(1024);
    expect(parseQuantity('2k')).toBe(2000);
    expect(parseQuantity('1.5.5')).toBeUndefined();
    expect(parseQuantity('ten')).toBeUndefined();
    expect(parseQuantity(1)).toBeUndefined(); // the kubelet's maps hold strings
    expect(parseCpuSet('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuSet('0, 1')).toMatch(/not a CPU/);
    expect(reservedCpuMillis({ kubeReserved: { cpu: '0m' }, systemReserved: { cpu: '0' } })).toBe(0);
    expect(reservedCpuMillis({ kubeReserved: { cpu: '0m' }, systemReserved: { cpu: '250m' } })).toBe(250);
    // reservedSystemCPUs replaces both (the kubelet sets systemReserved.cpu to its size).
    expect(reservedCpuMillis({ reservedSystemCPUs: '0-1', kubeReserved: { cpu: '0' } })).toBe(2000);
  });

  it.each([['kubeReserved:\n  cpu: "0"\n'], ['kubeReserved:\n  cpu: 0m\n'], ['systemReserved:\n  cpu: "0"\nkubeReserved: {cpu: "0.0"}\n']])('a zero reservation is none: %j', (reserved) => {
    const file = `kind: KubeletConfiguration\n${reserved}`;
    const out = mergeKubeletConfig(file, { cpuManagerPolicy: 'static' });
    expect(out.changed).toEqual(['cpuManagerPolicy', 'reservedSystemCPUs']);
    expect(out.text).toBe(`${file}cpuManagerPolicy: static\nreservedSystemCPUs: "0"\n`);
  });

  it('refuses a request that reserves no CPU itself (the tactic checks this before any node)', () => {
    expect(() => checkSettings({ cpuManagerPolicy: 'static', kubeReserved: { cpu: '0' }, systemReserved: { cpu: '0m' } })).toThrow(/reserve no CPU, and the static policy needs CPU reserved/);
    expect(() => checkSettings({ cpuManagerPolicy: 'static', kubeReserved: { cpu: '0' }, systemReserved: { cpu: '0m' }, reservedSystemCPUs: '1' })).not.toThrow();
    // With cgroups set and a zero request, fedfeat's own reservation goes where it is allowed.
    const noCpu = EKS_AL2023.replace('"cpu": "80m",\n        ', '');
    const plan = planKubeletChange({ ...eks([]), main: { path: '/c.json', text: noCpu } }, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '0' } });
    expect(plan.changed).toEqual(['cpuManagerPolicy', 'kubeReserved.cpu', 'systemReserved.cpu']);
    expect(plan.effective).toMatchObject({ kubeReserved: { cpu: '0' }, systemReserved: { cpu: '1' } });
  });

  it('a static policy already running on a zero reservation and flags: the kubelet check names it', () => {
    expect(kubeletProblems({ cpuManagerPolicy: 'static', kubeReserved: { cpu: '0m' } })).toEqual([
      'the static CPU manager policy needs CPU reserved (reservedSystemCPUs, or kubeReserved.cpu + systemReserved.cpu above zero): the kubelet refuses to start',
    ]);
    expect(kubeletProblems({ kubeReserved: { cpu: 1 } })).toEqual(['kubeReserved.cpu must be a string quantity (got 1; quote it)']);
  });
});

describe('rule: going back to none removes what fedfeat added', () => {
  it('kubeadm: static adds reservedSystemCPUs, none takes it out again', () => {
    const on = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static' });
    const off = mergeKubeletConfig(on.text, { cpuManagerPolicy: 'none' }, on.record);
    expect(off.changed).toEqual(['cpuManagerPolicy', '-reservedSystemCPUs']);
    expect(off.text).toBe(`${KUBEADM}cpuManagerPolicy: none\n`);
    expect(off.record).toEqual({ added: [] });
    expect(off.cpuPolicyChanged).toBe(true);
  });

  it('EKS: the systemReserved mapping fedfeat created goes as a whole', () => {
    const noCpu = EKS_AL2023.replace('"cpu": "80m",\n        ', '');
    const src = { ...eks(), main: { path: '/etc/kubernetes/kubelet/config.json', text: noCpu } };
    const on = planKubeletChange(src, { cpuManagerPolicy: 'static' });
    const off = planKubeletChange({ ...src, main: { path: src.main.path, text: on.writes[0]!.text } }, { cpuManagerPolicy: 'none' }, on.record);
    expect(off.changed).toEqual(['cpuManagerPolicy', '-systemReserved']);
    expect(off.writes[0]!.text).toBe(noCpu.replace(/\n}\n$/, ',\n    "cpuManagerPolicy": "none"\n}\n'));
  });

  it('a request that reserves CPU itself also takes out the reservedSystemCPUs fedfeat chose (it would replace the figure)', () => {
    const on = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static' });
    const own = mergeKubeletConfig(on.text, { cpuManagerPolicy: 'static', systemReserved: { cpu: '500m' } }, on.record);
    expect(own.changed).toEqual(['systemReserved.cpu', '-reservedSystemCPUs']);
    expect(own.text).toBe(`${KUBEADM}cpuManagerPolicy: static\nsystemReserved:\n  cpu: 500m\n`);
    expect(own.cpuPolicyChanged).toBe(true); // the reserved CPUs change under the static policy: the state file goes
  });

  it('leaves a value someone changed since, and what the user asked for', () => {
    const on = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static' });
    const edited = on.text.replace('reservedSystemCPUs: "0"', 'reservedSystemCPUs: "0-1"');
    expect(mergeKubeletConfig(edited, { cpuManagerPolicy: 'none' }, on.record).text).toContain('reservedSystemCPUs: "0-1"');
    expect(mergeKubeletConfig(on.text, { cpuManagerPolicy: 'none', reservedSystemCPUs: '0' }, on.record).text).toContain('reservedSystemCPUs: "0"');
    // Without a record (the user's own reservation) nothing is removed.
    expect(mergeKubeletConfig(on.text, { cpuManagerPolicy: 'none' }).text).toContain('reservedSystemCPUs: "0"');
  });
});

describe('rule: outside the changed keys the file stays byte for byte', () => {
  it('GKE COS: unindented lists, CPU already reserved (1060m)', () => {
    const out = mergeKubeletConfig(GKE_COS, { cpuManagerPolicy: 'static', containerLogMaxFiles: 4 });
    expect(out.text).toBe(`${GKE_COS}cpuManagerPolicy: static\ncontainerLogMaxFiles: 4\n`);
  });

  it('kubeadm default: flow-style {} maps and quoted strings kept', () => {
    const out = mergeKubeletConfig(KUBEADM_DEFAULT, { cpuManagerPolicy: 'static', systemReserved: { memory: '256Mi' } });
    expect(out.text).toBe(`${KUBEADM_DEFAULT}cpuManagerPolicy: static\nsystemReserved:\n  memory: 256Mi\nreservedSystemCPUs: "0"\n`);
  });

  it('AKS: inline JSON arrays and empty objects stay inline; a value changed in place', () => {
    const out = mergeKubeletConfig(AKS, { cpuManagerPolicy: 'static', imageGCHighThresholdPercent: 90, kubeReserved: { cpu: '200m' } });
    expect(out.text).toBe(AKS.replace('"imageGCHighThresholdPercent": 85', '"imageGCHighThresholdPercent": 90').replace('"cpu": "100m"', '"cpu": "200m"')
      .replace(/\n}\n$/, ',\n    "cpuManagerPolicy": "static"\n}\n'));
  });

  it('CRLF line endings, single quotes, flow maps and comments', () => {
    const crlf = "kind: KubeletConfiguration # main\r\nclusterDNS:\r\n    - '10.96.0.10'\r\nkubeReserved: {memory: 512Mi, cpu: '0'}\r\ncpuManagerPolicy: 'none'\r\n# trailing comment\r\n";
    const out = mergeKubeletConfig(crlf, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '250m' } });
    expect(out.text).toBe("kind: KubeletConfiguration # main\r\nclusterDNS:\r\n    - '10.96.0.10'\r\nkubeReserved: {memory: 512Mi, cpu: '250m'}\r\ncpuManagerPolicy: 'static'\r\n# trailing comment\r\n");
  });

  it('reads values by YAML 1.1 as the kubelet does: 010 is 8, so 10 is a change', () => {
    const file = 'kind: KubeletConfiguration\nmaxPods: 0110\ncontainerLogMaxFiles: 010\n';
    expect(parseKubeletConfig(file, 'f').value).toEqual({ kind: 'KubeletConfiguration', maxPods: 72, containerLogMaxFiles: 8 });
    expect(mergeKubeletConfig(file, { containerLogMaxFiles: 8 }).changed).toEqual([]);
    expect(mergeKubeletConfig(file, { containerLogMaxFiles: 10 }).text).toBe('kind: KubeletConfiguration\nmaxPods: 0110\ncontainerLogMaxFiles: 10\n');
    expect(parseKubeletConfig('a: yes\nb: 0o17\nc: 1:20\nd: 2001-12-14\n', 'f').value).toEqual({ a: true, b: 15, c: '1:20', d: '2001-12-14' });
  });
});

describe('rule: drop-in directories override the main file', () => {
  it('merges .conf files only, in the order the kubelet walks them', () => {
    expect(dropinOrder(['50-b.conf', '10-a.conf', '10-a.conf.fedfeat-backup', 'x.json', 'sub/00.conf', 'sub-x.conf', 'README'])).toEqual(['10-a.conf', '50-b.conf', 'sub/00.conf', 'sub-x.conf']);
  });

  it('edits the drop-in that wins for the key, and names it', () => {
    const src = eks([['40-nodeadm.conf', EKS_DROPIN], ['50-user.conf', dropin({ cpuManagerPolicy: 'none', kubeReserved: { memory: '1Gi' } })]]);
    expect(readEffective(src)).toMatchObject({ cpuManagerPolicy: 'none', clusterDNS: ['0.0.0.0', '1.1.1.1'], kubeReserved: { cpu: '80m', memory: '1Gi' } });
    const plan = planKubeletChange(src, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m', memory: '2Gi' } });
    expect(plan.writes.map((w) => w.path)).toEqual(['/etc/kubernetes/kubelet/config.json', '/etc/kubernetes/kubelet/config.json.d/50-user.conf']);
    expect(plan.writes[0]!.text).toBe(EKS_AL2023.replace('"cpu": "80m"', '"cpu": "500m"'));
    expect(plan.writes[1]!.text).toBe(dropin({ cpuManagerPolicy: 'static', kubeReserved: { memory: '2Gi' } }));
  });

  it('a drop-in that removes a key (null) wins over the main file: editing it would bring back what it removed, so it is refused', () => {
    const src = eks([['90-x.conf', dropin({ kubeReserved: null })]]);
    expect(readEffective(src).kubeReserved).toBeUndefined();
    expect(() => planKubeletChange(src, { kubeReserved: { cpu: '100m' } })).toThrow(
      'editing /etc/kubernetes/kubelet/config.json.d/90-x.conf would change more than asked (kubeReserved would differ from what the kubelet runs with now): change it there by hand');
    // A drop-in that sets the whole key is edited in place.
    const plan = planKubeletChange(eks([['90-x.conf', dropin({ kubeReserved: { cpu: '50m' } })]]), { kubeReserved: { cpu: '100m' } });
    expect(plan.writes.map((w) => w.path)).toEqual(['/etc/kubernetes/kubelet/config.json.d/90-x.conf']);
    expect(plan.effective.kubeReserved).toEqual({ cpu: '100m', 'ephemeral-storage': '1Gi', memory: '893Mi' });
  });

  it('refuses a drop-in the kubelet would refuse, naming it', () => {
    const src = eks([['40-nodeadm.conf', '{"clusterDNS": ["1.1.1.1"]}\n']]);
    expect(() => planKubeletChange(src, { cpuManagerPolicy: 'static' })).toThrow('/etc/kubernetes/kubelet/config.json.d/40-nodeadm.conf: a kubelet drop-in must have apiVersion kubelet.config.k8s.io/v1beta1 and kind KubeletConfiguration');
  });

  it('flags win over every file: refuses a field a flag sets, and reads flags into the checks (k3s)', () => {
    expect(() => planKubeletChange({ main: { path: '/k.yaml', text: KUBEADM }, dropins: [], argv: K3S_ARGV }, { cpuManagerPolicy: 'static' }))
      .toThrow('cpuManagerPolicy is set by the kubelet flag --cpu-manager-policy on its command line, which wins over every config file: change it where this node sets its kubelet flags');
    expect(() => planKubeletChange({ dropins: [], argv: K3S_ARGV }, { cpuManagerPolicy: 'static' })).toThrow(/configured by flags only/);
    const argv = ['kubelet', '--config=/k.yaml', '--system-reserved-cgroup=/system.slice'];
    const plan = planKubeletChange({ main: { path: '/k.yaml', text: 'kind: KubeletConfiguration\n' }, dropins: [], argv }, { cpuManagerPolicy: 'static' });
    expect(plan.changed).toEqual(['cpuManagerPolicy', 'systemReserved.cpu']);
  });
});

describe('rule: parse errors name the reason and the line', () => {
  it('YAML', () => {
    expect(() => mergeKubeletConfig('kind: KubeletConfiguration\nclusterDNS: [1\nmaxPods: 3\n', {}, undefined, '/var/lib/kubelet/config.yaml'))
      .toThrow(/^\/var\/lib\/kubelet\/config\.yaml: line 3: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a \]$/);
    expect(() => mergeKubeletConfig('kind: KubeletConfiguration\nmaxPods: 1\nmaxPods: 2\n', {}, undefined, 'c.yaml')).toThrow(/^c\.yaml: line 3: not valid YAML: Map keys must be unique$/);
    expect(() => mergeKubeletConfig('- a\n', {}, undefined, 'c.yaml')).toThrow('c.yaml: line 1: does not hold a mapping');
    expect(() => mergeKubeletConfig('\n', {}, undefined, 'c.yaml')).toThrow('c.yaml: the file is empty');
  });

  it('JSON', () => {
    expect(() => mergeKubeletConfig('{\n    "kind": "KubeletConfiguration",\n    "maxPods": 58\n    "x": 1\n}\n', {}, undefined, '/etc/default/kubeletconfig.json'))
      .toThrow("/etc/default/kubeletconfig.json: line 4: not valid JSON: Expected ',' or '}' after property value");
  });
});
