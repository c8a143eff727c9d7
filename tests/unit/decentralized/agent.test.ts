import { describe, expect, test } from '@jest/globals';
import { mergePatchTo } from '../../../decentralized/agent.js';
import { parseListen, parsePeers } from '../../../cli/agent-command.js';

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
