import mock from 'mock-fs';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { applyKubeletSettings, backupPath, locateConfig, revert, rollback } from '../../../../daemonset-scripts/kubelet-agent/apply-config.js';

import { KUBEADM } from '../../../support/kubelet-configs.js';

describe('kubelet agent file steps (fake file system)', () => {
  afterEach(() => mock.restore());

  it('backs up, writes atomically with the same mode, drops the CPU manager state, and rolls back', () => {
    mock({
      '/var/lib/kubelet': { 'config.yaml': mock.file({ content: KUBEADM, mode: 0o600 }), cpu_manager_state: '{"policyName":"none"}' },
    });
    const res = applyKubeletSettings('/var/lib/kubelet/config.yaml', { cpuManagerPolicy: 'static' }, '/var/lib/kubelet/cpu_manager_state');
    expect(res).toMatchObject({ changed: ['cpuManagerPolicy', 'reservedSystemCPUs'], removedCpuManagerState: true });
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
});
