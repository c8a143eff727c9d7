import { describeReadiness, readinessProbe } from '../../../evaluation/service-disruption.js';

describe('the web replicas\' readiness probe', () => {
  it('is an HTTP GET by default, an exec probe that takes probeSeconds otherwise (with a timeout above it)', () => {
    expect(readinessProbe({ periodSeconds: 1, failureThreshold: 3 })).toEqual({ httpGet: { path: '/i', port: 8080 }, periodSeconds: 1, failureThreshold: 3 });
    expect(readinessProbe({ periodSeconds: 3, failureThreshold: 3, probeSeconds: 2 })).toEqual({
      exec: { command: ['sh', '-c', 'sleep 2 && wget -q -O /dev/null http://127.0.0.1:8080/i'] }, timeoutSeconds: 5, periodSeconds: 3, failureThreshold: 3,
    });
    expect(describeReadiness({ periodSeconds: 3, failureThreshold: 3, probeSeconds: 2 })).toBe('exec readiness probe taking 2 s every 3 s (failureThreshold 3)');
  });
});
