import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseCommandLine } from '../../../cli/args.js';
import { agentCommand, joinArgs, startAgents, type AgentLaunchDeps, type AgentProcess } from '../../../local-federation/decentralized-agents.js';
import type { ProcessRecord } from '../../../local-federation/processes.js';
import { stateFile, type FederationState } from '../../../local-federation/state.js';

const agent = (member: string, port: number): AgentProcess => ({
  member, port, tlsDir: `/f/agents/${member}/tls`, configDir: `/f/agents/${member}/config`, stateDir: `/f/agents/${member}/state`, logFile: `/f/logs/agent-${member}.log`,
});

describe('dev up --decentralized: members joined as users join them', () => {
  test('join arguments: the CLI parses them as join --decentralized without a Deployment, peers on loopback', () => {
    const argv = joinArgs(agent('member-3', 40003), '/f/kubeconfig', '/f/agents/fleet-ca', [agent('member-1', 40001), agent('member-2', 40002)]);
    const c = parseCommandLine(argv);
    expect(c).toMatchObject({
      command: 'join', args: ['member-3'],
      values: {
        kubeconfig: '/f/kubeconfig', context: 'member-3', decentralized: true, 'ca-dir': '/f/agents/fleet-ca', 'no-deployment': true,
        access: 'enforce', 'ip-addresses': '127.0.0.1', advertise: '127.0.0.1:40003', peers: 'member-1=127.0.0.1:40001,member-2=127.0.0.1:40002',
      },
    });
    expect(joinArgs(agent('member-1', 1), '/k', '/ca', [])).not.toContain('--peers');
  });

  test('the agent command line has nothing per member but the files, its listen port, kubeconfig and state', () => {
    const cmd = agentCommand(agent('member-3', 40003), '/f/member-3.kubeconfig');
    expect(cmd[1]).toMatch(/bin\/fedfeat\.js$/);
    expect(parseCommandLine(cmd.slice(2))).toEqual({
      command: 'agent', args: [],
      values: { 'config-dir': '/f/agents/member-3/config', 'tls-dir': '/f/agents/member-3/tls', kubeconfig: '/f/member-3.kubeconfig', listen: '127.0.0.1:40003', 'state-dir': '/f/agents/member-3/state' },
    });
  });

  test('startAgents joins each member (the first alone: it creates the CA), writes what join wrote as files and starts an agent on them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fedfeat-agents-'));
    try {
      const members = ['member-1', 'member-2', 'member-3'];
      const state = {
        instance: 't', dir, processes: [] as ProcessRecord[],
        clusters: [{ name: 'host', role: 'host', kubeconfig: `${dir}/host.kubeconfig` }, ...members.map((m) => ({ name: m, role: 'member', kubeconfig: `${dir}/${m}.kubeconfig` }))],
      } as unknown as FederationState; // only the fields startAgents reads
      const events: string[] = [];
      let inFlight = 0;
      let port = 40000;
      const started: Array<{ name: string; command: string[] }> = [];
      const deps: AgentLaunchDeps = {
        port: async () => ++port,
        join: async (argv) => {
          inFlight++;
          events.push(`join ${argv[1]} (in flight ${inFlight})`);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
        },
        joined: async (c) => ({
          credentials: { ca: `CA`, cert: `CERT ${c.name}`, key: `KEY ${c.name}` },
          config: { member: c.name, peers: 'x=127.0.0.1:1', labels: `name=${c.name}` },
        }),
        start: (name, command, opts) => {
          started.push({ name, command });
          return { name, pid: 1, startTime: '1', command, logFile: opts.logFile };
        },
        log: () => undefined,
      };
      const agents = await startAgents(state, deps);
      expect(agents.map((a) => a.member)).toEqual(members);
      expect(events[0]).toBe('join member-1 (in flight 1)'); // alone
      expect(events.slice(1).sort()).toEqual(['join member-2 (in flight 1)', 'join member-3 (in flight 2)']);
      expect(started.map((s) => s.name).sort()).toEqual(members.map((m) => `agent-${m}`));
      expect(state.processes).toHaveLength(3);
      const a2 = agents[1]!;
      expect(readFileSync(path.join(a2.tlsDir, 'tls.crt'), 'utf8')).toBe('CERT member-2');
      expect(statSync(path.join(a2.tlsDir, 'tls.key')).mode & 0o777).toBe(0o600);
      expect(readFileSync(path.join(a2.configDir, 'member'), 'utf8')).toBe('member-2');
      expect(readFileSync(path.join(a2.configDir, 'labels'), 'utf8')).toBe('name=member-2');
      const cmd = started.find((s) => s.name === 'agent-member-2')!.command;
      expect(cmd).toContain(a2.configDir);
      expect(cmd).toContain(`${dir}/member-2.kubeconfig`);
      expect(a2.configDir.startsWith(path.join(dir, 'agents'))).toBe(true);
      // State written for `down`.
      const saved = JSON.parse(readFileSync(stateFile(dir), 'utf8')) as FederationState;
      expect(saved.processes.map((p) => p.name).sort()).toEqual(members.map((m) => `agent-${m}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
