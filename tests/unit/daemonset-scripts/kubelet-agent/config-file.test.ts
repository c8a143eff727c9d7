import { checkSettings, configFlag, mergeKubeletConfig, withReservedCpu } from '../../../../daemonset-scripts/kubelet-agent/config-file.js';

import { KUBEADM } from '../../../support/kubelet-configs.js';

describe('kubelet config merge (pure)', () => {
  it('sets the static policy, reserves CPU, and keeps every other field and comment', () => {
    const out = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static' });
    expect(out.changed).toEqual(['cpuManagerPolicy', 'reservedSystemCPUs']);
    expect(out.cpuPolicyChanged).toBe(true);
    expect(out.text).toContain('# written by kubeadm');
    expect(out.text).toContain('# the DNS service');
    expect(out.text).toContain('cgroupDriver: systemd');
    expect(out.text).toContain('cpuManagerPolicy: static');
    expect(out.text).toContain('reservedSystemCPUs: "0"');
    expect(out.text).toContain('memory: 512Mi');
  });

  it('does not reserve CPU twice, merges reserved resources per resource, and reports no change when there is none', () => {
    const out = mergeKubeletConfig(KUBEADM, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m' } });
    expect(out.changed).toEqual(['cpuManagerPolicy', 'kubeReserved']);
    expect(out.text).not.toContain('reservedSystemCPUs');
    expect(out.text).toMatch(/kubeReserved:\n\s+memory: 512Mi\n\s+cpu: 500m/);
    const again = mergeKubeletConfig(out.text, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '500m' } });
    expect(again).toEqual({ text: out.text, changed: [], cpuPolicyChanged: false });
  });

  it('keeps JSON files JSON with their indentation (EKS, AKS)', () => {
    const json = '{\n    "kind": "KubeletConfiguration",\n    "apiVersion": "kubelet.config.k8s.io/v1beta1",\n    "maxPods": 58\n}\n';
    const out = mergeKubeletConfig(json, { containerLogMaxSize: '50Mi', containerLogMaxFiles: 3 });
    expect(JSON.parse(out.text)).toEqual({ kind: 'KubeletConfiguration', apiVersion: 'kubelet.config.k8s.io/v1beta1', maxPods: 58, containerLogMaxSize: '50Mi', containerLogMaxFiles: 3 });
    expect(out.text).toContain('\n    "maxPods": 58');
    expect(out.cpuPolicyChanged).toBe(false);
  });

  it('refuses fields and values it cannot apply safely, naming each', () => {
    expect(() => checkSettings({ maxPods: 500 })).toThrow(/maxPods: fedfeat does not change this kubelet field/);
    expect(() => checkSettings({ cpuManagerPolicy: 'dynamic', containerLogMaxFiles: 1 })).toThrow(/cpuManagerPolicy: must be none or static.*containerLogMaxFiles: must be a whole number of at least 2/);
    expect(() => mergeKubeletConfig('kind: Pod\n', { cpuManagerPolicy: 'static' })).toThrow(/holds a Pod, not a KubeletConfiguration/);
  });

  it('reads --config from the kubelet command line', () => {
    expect(configFlag(['/usr/bin/kubelet', '--config=/etc/k/c.yaml', '--v=2'])).toBe('/etc/k/c.yaml');
    expect(configFlag(['/usr/bin/kubelet', '--config', '/x.yaml'])).toBe('/x.yaml');
    expect(configFlag(['/usr/bin/kubelet'])).toBeUndefined();
    expect(withReservedCpu({ cpuManagerPolicy: 'none' }, {})).toEqual({ cpuManagerPolicy: 'none' });
  });
});
