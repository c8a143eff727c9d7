describe('one failed measurement', () => {
  it('is recorded as failed and does not end the run; an interruption does', async () => {
    const { measure, Interrupted } = await import('../../../evaluation/experiments.js');
    const { ProgressBar } = await import('../../../evaluation/progress-bar.js');
    const ctx = { repeats: 1, bar: new ProgressBar(1), skipped: [] as Array<{ experiment: string; member: string; reason: string; failed?: boolean }> };
    expect(await measure(ctx, 'scale: members', '25 members', async () => { throw new Error('etcdserver: request timed out'); })).toBeUndefined();
    expect(await measure(ctx, 'scale: members', '5 members', async () => 4.2)).toBe(4.2);
    expect(ctx.skipped).toEqual([{ experiment: 'scale: members', member: '25 members', reason: 'failed: etcdserver: request timed out', failed: true }]);
    await expect(measure(ctx, 'x', 'y', async () => { throw new Interrupted(); })).rejects.toThrow('interrupted');
  });
});
