import { describe, expect, test } from '@jest/globals';
import { agentCommand } from '../../../local-federation/decentralized-agents.js';

describe('dev up --decentralized agent command', () => {
  test('each agent gets its member kubeconfig, TLS, state and the earlier agents as seeds', () => {
    const a = { member: 'member-3', port: 40003, tlsDir: '/f/agents/member-3/tls', stateDir: '/f/agents/member-3/state', logFile: '/f/logs/agent-member-3.log' };
    const seeds = [{ ...a, member: 'member-1', port: 40001 }, { ...a, member: 'member-2', port: 40002 }];
    const cmd = agentCommand(a, '/f/member-3.kubeconfig', seeds);
    expect(cmd.slice(2)).toEqual([
      'agent', '--member', 'member-3', '--kubeconfig', '/f/member-3.kubeconfig', '--tls-dir', '/f/agents/member-3/tls',
      '--listen', '127.0.0.1:40003', '--state-dir', '/f/agents/member-3/state', '--labels', 'name=member-3',
      '--peers', 'member-1=127.0.0.1:40001,member-2=127.0.0.1:40002',
    ]);
    expect(cmd[1]).toMatch(/bin\/fedfeat\.js$/);
    expect(agentCommand({ ...a, member: 'member-1' }, '/k', [])).not.toContain('--peers');
  });
});
