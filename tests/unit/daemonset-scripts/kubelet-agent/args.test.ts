import { parseAgentArgs } from '../../../../daemonset-scripts/kubelet-agent/args.js';
import { kubeletFlag } from '../../../../daemonset-scripts/kubelet-agent/config-file.js';

describe('kubelet agent command line', () => {
  it('reads what the agent pod passes (reconfigurators/kubelet-config/agent-pod.ts)', () => {
    expect(parseAgentArgs(['apply', '--node', 'node-1', '--settings', '{"cpuManagerPolicy":"static"}', '--restart', 'signal', '--host-root', '/host', '--timeout-seconds', '60'], {})).toEqual({
      mode: 'apply', node: 'node-1', settings: '{"cpuManagerPolicy":"static"}', restart: 'signal', hostRoot: '/host', timeoutMs: 60_000,
    });
  });

  it('defaults, with the node from NODE_NAME', () => {
    expect(parseAgentArgs(['revert'], { NODE_NAME: 'n' })).toEqual({ mode: 'revert', node: 'n', settings: '{}', restart: 'auto', hostRoot: '/host', timeoutMs: 120_000 });
    expect(parseAgentArgs(['revert', '--host-root=/h', '--timeout-seconds=1.5'], { NODE_NAME: 'n' })).toMatchObject({ hostRoot: '/h', timeoutMs: 1500 });
  });

  it('refuses a wrong command line before touching the node', () => {
    expect(() => parseAgentArgs(['apply'], {})).toThrow('--node (or NODE_NAME) is required');
    expect(() => parseAgentArgs(['restart', '--node', 'n'], {})).toThrow('unknown command "restart" (apply or revert)');
    expect(() => parseAgentArgs(['apply', '--node', 'n', '--force'], {})).toThrow("Unknown option '--force'");
    expect(() => parseAgentArgs(['apply', '--node', 'n', '--restart', 'reboot'], {})).toThrow('--restart must be auto, systemd or signal (got "reboot")');
    expect(() => parseAgentArgs(['apply', '--node', 'n', '--timeout-seconds', 'soon'], {})).toThrow('--timeout-seconds must be a positive number (got "soon")');
  });
});

describe('kubelet command line', () => {
  it('finds a flag given as --name value or --name=value', () => {
    expect(kubeletFlag(['/usr/bin/kubelet', '--root-dir=/data/kubelet', '--v=2'], 'root-dir')).toBe('/data/kubelet');
    expect(kubeletFlag(['/usr/bin/kubelet', '--root-dir', '/data/kubelet'], 'root-dir')).toBe('/data/kubelet');
    expect(kubeletFlag(['/usr/bin/kubelet', '--root-dir-x=/y'], 'root-dir')).toBeUndefined();
  });
});
