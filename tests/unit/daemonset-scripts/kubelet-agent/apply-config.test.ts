import mock from 'mock-fs';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { applyKubeletSettings, applyToKubelet, backupPath, locateConfig, nodeFiles, readRecord, revert, revertKubelet, rollback, rollbackKubelet } from '../../../../daemonset-scripts/kubelet-agent/apply-config.js';

import { EKS_AL2023, EKS_ARGV, EKS_DROPIN, KUBEADM } from '../../../support/kubelet-configs.js';

describe('kubelet agent file steps (fake file system)', () => {
  afterEach(() => mock.restore());

  it('backs up, writes atomically with the same mode, drops the CPU manager state, and rolls back', () => {
    mock({
      '/var/lib/kubelet': { 'config.yaml': mock.file({ content: KUBEADM, mode: 0o600 }), cpu_manager_state: '{"policyName":"none"}' },
    });
    const res = applyKubeletSettings('/var/lib/kubelet/config.yaml', { cpuManagerPolicy: 'static' }, '/var/lib/kubelet/cpu_manager_state');
    expect(res).toMatchObject({ changed: ['cpuManagerPolicy', 'reservedSystemCPUs'], removedCpuManagerState: true, written: ['/var/lib/kubelet/config.yaml'] });
    expect(readFileSync('/var/lib/kubelet/config.yaml', 'utf8')).toContain('cpuManagerPolicy: static');
    expect(statSync('/var/lib/kubelet/config.yaml').mode & 0o777).toBe(0o600);
    expect(readFileSync(backupPath('/var/lib/kubelet/config.yaml'), 'utf8')).toBe(KUBEADM);
    expect(existsSync('/var/lib/kubelet/cpu_manager_state')).toBe(false);
    expect(existsSync('/var/lib/kubelet/config.yaml.fedfeat-tmp')).toBe(false);

    const afterFirst = readFileSync('/var/lib/kubelet/config.yaml', 'utf8');
    // A second change keeps the node's original as the backup; a failed change rolls back to the first one only.
    applyKubeletSettings('/var/lib/kubelet/config.yaml', { cpuManagerPolicy: 'static', containerLogMaxFiles: 4 }, '/var/lib/kubelet/cpu_manager_state');
    expect(readFileSync(backupPath('/var/lib/kubelet/config.yaml'), 'utf8')).toBe(KUBEADM);
    expect(rollback('/var/lib/kubelet/config.yaml', '/var/lib/kubelet/cpu_manager_state')).toBe(true);
    expect(readFileSync('/var/lib/kubelet/config.yaml', 'utf8')).toBe(afterFirst);
    expect(revert('/var/lib/kubelet/config.yaml', '/var/lib/kubelet/cpu_manager_state')).toBe(true);
    expect(readFileSync('/var/lib/kubelet/config.yaml', 'utf8')).toBe(KUBEADM);
    expect(existsSync(backupPath('/var/lib/kubelet/config.yaml'))).toBe(false);
    expect(existsSync('/var/lib/kubelet/config.yaml.fedfeat-previous')).toBe(false);
    expect(revert('/var/lib/kubelet/config.yaml', '/var/lib/kubelet/cpu_manager_state')).toBe(false);
  });

  it('changes nothing when the config already matches', () => {
    mock({ '/etc/kubernetes/kubelet/config.json': '{"kind":"KubeletConfiguration","cpuManagerPolicy":"static","reservedSystemCPUs":"0"}' });
    const res = applyKubeletSettings('/etc/kubernetes/kubelet/config.json', { cpuManagerPolicy: 'static' }, '/nope');
    expect(res.changed).toEqual([]);
    expect(existsSync(backupPath('/etc/kubernetes/kubelet/config.json'))).toBe(false);
  });

  it('finds the config from --config or a vendor path, and says so when there is none', () => {
    mock({ '/home/kubernetes/kubelet-config.yaml': 'kind: KubeletConfiguration\n' });
    expect(locateConfig(['kubelet', '--config=/a.yaml'])).toBe('/a.yaml');
    expect(locateConfig(['kubelet'])).toBe('/home/kubernetes/kubelet-config.yaml');
    mock.restore();
    mock({});
    expect(() => locateConfig(['kubelet'])).toThrow(/configured by flags only/);
  });

  it('EKS AL2023 layout: finds --config and --config-dir, edits the drop-in that wins, records what it adds, rolls back and reverts every file', () => {
    const userDropin = '{\n    "apiVersion": "kubelet.config.k8s.io/v1beta1",\n    "kind": "KubeletConfiguration",\n    "kubeReserved": {"cpu": "0"}\n}\n';
    mock({
      '/host/etc/kubernetes/kubelet': {
        'config.json': mock.file({ content: EKS_AL2023, mode: 0o644 }),
        'config.json.d': { '40-nodeadm.conf': EKS_DROPIN, '50-user.conf': mock.file({ content: userDropin, mode: 0o600 }), 'notes.txt': 'not read' },
      },
      '/host/var/lib/kubelet': { cpu_manager_state: '{"policyName":"none"}' },
    });
    const f = nodeFiles(EKS_ARGV, '/host');
    expect(f).toMatchObject({ main: '/etc/kubernetes/kubelet/config.json', dropinDir: '/etc/kubernetes/kubelet/config.json.d', stateFile: '/var/lib/kubelet/cpu_manager_state' });
    // The drop-in zeroes kubeReserved.cpu and the cgroups are set: CPU is reserved through systemReserved.cpu.
    const res = applyToKubelet(f, { cpuManagerPolicy: 'static' });
    expect(res.changed).toEqual(['cpuManagerPolicy', 'systemReserved.cpu']);
    expect(res.written).toEqual(['/etc/kubernetes/kubelet/config.json']);
    expect(res.removedCpuManagerState).toBe(true);
    expect(readRecord(f).added).toEqual([{ file: '/etc/kubernetes/kubelet/config.json', path: ['systemReserved', 'cpu'], value: '1', createdParent: true }]);
    expect(existsSync('/host/etc/kubernetes/kubelet/config.json.d/50-user.conf.fedfeat-backup')).toBe(false);

    const afterFirst = readFileSync('/host/etc/kubernetes/kubelet/config.json', 'utf8');
    // Then the request asks for a CPU figure the user's drop-in decides: that drop-in is edited, its mode kept,
    // and fedfeat's own systemReserved goes from the main file (the request reserves CPU itself now).
    const res2 = applyToKubelet(f, { cpuManagerPolicy: 'static', kubeReserved: { cpu: '250m' } });
    expect(res2.changed).toEqual(['kubeReserved.cpu', '-systemReserved']);
    expect(res2.written).toEqual(['/etc/kubernetes/kubelet/config.json', '/etc/kubernetes/kubelet/config.json.d/50-user.conf']);
    expect(readFileSync('/host/etc/kubernetes/kubelet/config.json.d/50-user.conf', 'utf8')).toBe(userDropin.replace('"cpu": "0"', '"cpu": "250m"'));
    expect(statSync('/host/etc/kubernetes/kubelet/config.json.d/50-user.conf').mode & 0o777).toBe(0o600);
    expect(readRecord(f).added).toEqual([]);
    // A failed change rolls back the files of that change (and the record), not the first change.
    expect(rollbackKubelet(f)).toBe(true);
    expect(readFileSync('/host/etc/kubernetes/kubelet/config.json.d/50-user.conf', 'utf8')).toBe(userDropin);
    expect(readFileSync('/host/etc/kubernetes/kubelet/config.json', 'utf8')).toBe(afterFirst);
    expect(readRecord(f).added).toHaveLength(1);

    // Back to none through the FeatureConfig: what fedfeat added goes; the file is the node's own plus the policy.
    const off = applyToKubelet(f, { cpuManagerPolicy: 'none' });
    expect(off.changed).toEqual(['cpuManagerPolicy', '-systemReserved']);
    expect(readFileSync('/host/etc/kubernetes/kubelet/config.json', 'utf8')).toBe(EKS_AL2023.replace(/\n}\n$/, ',\n    "cpuManagerPolicy": "none"\n}\n'));
    expect(readRecord(f).added).toEqual([]);

    expect(revertKubelet(f)).toBe(true);
    expect(readFileSync('/host/etc/kubernetes/kubelet/config.json', 'utf8')).toBe(EKS_AL2023);
    expect(readFileSync('/host/etc/kubernetes/kubelet/config.json.d/50-user.conf', 'utf8')).toBe(userDropin);
    expect(existsSync('/host/etc/kubernetes/kubelet/config.json.fedfeat-record.json')).toBe(false);
    expect(existsSync('/host/etc/kubernetes/kubelet/config.json.fedfeat-backup')).toBe(false);
  });

  it('refuses before writing anything when the kubelet would reject the result', () => {
    mock({ '/etc/kubernetes/kubelet/config.json': EKS_AL2023 });
    expect(() => applyKubeletSettings('/etc/kubernetes/kubelet/config.json', { cpuManagerPolicy: 'static', reservedSystemCPUs: '0' }, '/nope')).toThrow(/reservedSystemCPUs cannot be combined with systemReservedCgroup/);
    expect(readFileSync('/etc/kubernetes/kubelet/config.json', 'utf8')).toBe(EKS_AL2023);
    expect(existsSync(backupPath('/etc/kubernetes/kubelet/config.json'))).toBe(false);
  });
});
