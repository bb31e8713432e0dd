import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inCidr, judge, readGuestOutcome } from './outcome.js';

const dirs: string[] = [];
function share(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'l2s-outcome-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const PPP0 = '5: ppp0    inet 10.77.0.10 peer 10.77.0.1/32 scope global ppp0\\       valid_lft forever\n';

describe('reading what the guest left on its share', () => {
  it('passes a client whose every stage passed and whose ppp0 address is in the pool', () => {
    const dir = share({
      'exit-code': '0\n',
      stages: 'setup ok\nIKE ok\nL2TP ok\nPPP ok\ndata ok\n',
      'ppp0-addr.txt': PPP0,
    });
    const o = readGuestOutcome(dir);
    expect(o).toMatchObject({
      exitCode: 0,
      failedStage: undefined,
      pppLocal: '10.77.0.10',
      pppPeer: '10.77.0.1',
    });
    expect(judge(o, { kind: 'connects', pool: '10.77.0.0/24' }, dir)).toEqual({
      pass: true,
      stage: undefined,
      detail: 'ppp0 10.77.0.10 peer 10.77.0.1',
    });
    expect(judge(o, { kind: 'connects', pool: '10.78.0.0/24' }, dir)).toMatchObject({
      pass: false,
      stage: 'PPP',
    });
  });

  it('names the stage the guest reported as failing', () => {
    const dir = share({ 'exit-code': '20\n', stages: 'setup ok\nIKE ok\nL2TP fail\n' });
    const o = readGuestOutcome(dir);
    expect(o.failedStage).toBe('L2TP');
    expect(judge(o, { kind: 'connects', pool: '10.77.0.0/24' }, dir)).toMatchObject({
      pass: false,
      stage: 'L2TP',
    });
  });

  it('blames the first stage that never reported success when the guest was killed mid-way', () => {
    const dir = share({ stages: 'setup ok\nIKE ok\n' });
    expect(readGuestOutcome(dir)).toMatchObject({ exitCode: undefined, failedStage: 'L2TP' });
    expect(readGuestOutcome(share({}))).toMatchObject({ exitCode: undefined, failedStage: 'setup' });
    expect(
      readGuestOutcome(share({ stages: 'setup ok\ndata ok\n' }), ['setup', 'data', 'esp']).failedStage,
    ).toBe('esp');
  });

  it('passes an expected failure only at the expected stage and with its evidence', () => {
    const dir = share({
      'exit-code': '30\n',
      stages: 'setup ok\nIKE ok\nL2TP ok\nPPP fail\n',
      'pppd.log': 'rcvd [CHAP Failure id=0x1 "E=691 R=0 V=3"]\nMS-CHAP authentication failed: E=691\n',
    });
    const o = readGuestOutcome(dir);
    const evidence = { file: 'pppd.log', pattern: /authentication failed/i };
    expect(judge(o, { kind: 'fails', stage: 'PPP', evidence }, dir).pass).toBe(true);
    expect(judge(o, { kind: 'fails', stage: 'IKE' }, dir)).toMatchObject({ pass: false, stage: 'PPP' });
    expect(
      judge(
        o,
        { kind: 'fails', stage: 'PPP', evidence: { file: 'pppd.log', pattern: /LCP terminated/ } },
        dir,
      ).pass,
    ).toBe(false);
    expect(judge(o, { kind: 'completes' }, dir).pass).toBe(false);
  });

  it('tests IPv4 CIDR membership', () => {
    expect(inCidr('10.77.0.250', '10.77.0.0/24')).toBe(true);
    expect(inCidr('10.77.1.1', '10.77.0.0/24')).toBe(false);
    expect(inCidr('198.51.100.2', '0.0.0.0/0')).toBe(true);
    expect(inCidr('192.0.2.1', '192.0.2.1/32')).toBe(true);
    expect(inCidr('192.0.2.2', '192.0.2.1/32')).toBe(false);
  });
});
