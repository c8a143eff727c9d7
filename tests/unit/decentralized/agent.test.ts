import { describe, expect, test } from '@jest/globals';
import { mergePatchTo } from '../../../decentralized/agent.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advertiseAddress, parseListen, parsePeers, readAgentConfig } from '../../../cli/agent-command.js';

describe('materialization patch', () => {
  test('fields the fleet spec lacks are removed, changed ones set, equal ones left out', () => {
    expect(mergePatchTo(
      { podpreset: true, mode: 'inform', kubelet: { cpuManagerPolicy: 'static', containerLogMaxFiles: 3 } },
      { podpreset: true, kubelet: { cpuManagerPolicy: 'none' } },
    )).toEqual({ mode: null, kubelet: { cpuManagerPolicy: 'none', containerLogMaxFiles: null } });
  });
});

describe('agent flags', () => {
  test('peers and listen address', () => {
    expect(parsePeers('member-1=10.0.0.1:7946,member-2=host.example:7000')).toEqual([
      { member: 'member-1', host: '10.0.0.1', port: 7946 }, { member: 'member-2', host: 'host.example', port: 7000 },
    ]);
    expect(() => parsePeers('member-1:7946')).toThrow(/NAME=HOST:PORT/);
    expect(parseListen(undefined, '0.0.0.0:7946')).toEqual({ host: '0.0.0.0', port: 7946 });
    expect(() => parseListen('7946', '')).toThrow(/HOST:PORT/);
  });
});

describe('agent settings from the ConfigMap join writes (--config-dir)', () => {
  test('one file per key, empty or missing ones unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
    try {
      writeFileSync(join(dir, 'member'), 'member-2\n');
      writeFileSync(join(dir, 'peers'), 'member-1=10.0.0.1:7946');
      writeFileSync(join(dir, 'advertise'), '');
      writeFileSync(join(dir, 'annotations'), 'fedfeat.io/podpreset-webhook-url=https://127.0.0.1:9443');
      expect(readAgentConfig(dir)).toEqual({
        member: 'member-2', peers: 'member-1=10.0.0.1:7946', advertise: undefined, labels: undefined, annotations: 'fedfeat.io/podpreset-webhook-url=https://127.0.0.1:9443',
      });
      expect(readAgentConfig(undefined)).toEqual({});
      expect(() => readAgentConfig(join(dir, 'nope'))).toThrow(/does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('advertised address: configured, else the pod IP with the listen port, else none (the listen address)', () => {
    const listen = { host: '0.0.0.0', port: 7946 };
    expect(advertiseAddress('a.example:1', listen, '10.1.2.3')).toBe('a.example:1');
    expect(advertiseAddress(undefined, listen, '10.1.2.3')).toBe('10.1.2.3:7946');
    expect(advertiseAddress(undefined, listen, 'fd00::5')).toBe('[fd00::5]:7946');
    expect(advertiseAddress(undefined, listen, '')).toBeUndefined();
    expect(parsePeers('member-3=[fd00::3]:7000')).toEqual([{ member: 'member-3', host: 'fd00::3', port: 7000 }]);
  });
});
