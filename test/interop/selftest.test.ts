/**
 * The interop harness proving itself without any l2tpsec server: a real QEMU guest boots from the cached
 * image in a fresh namespace, loads the kernel's ESP/L2TP/PPP modules, pings the host over the bridge,
 * sends one ping through a manual kernel ESP-in-UDP SA, writes its results to the 9p share and powers off;
 * the host captured the ESP and opens it with the guest's keys (decrypt.sh's tshark options). Then the
 * baseline case against the reference server (strongSwan + xl2tpd + pppd in a second guest) proves the
 * client side of the suite — configuration, command file, stage verdicts — against a known-good peer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SELFTEST, SERVER_CASES } from './cases.js';
import { parseXfrmState, tsharkDecryptArgs } from './esp-keys.js';
import { ensureGuestImage } from './guest-image.js';
import { SELFTEST_SA } from './guest-script.js';
import { runCase } from './harness.js';
import { isRoot } from './netns.js';

function whyNot(): string | undefined {
  if (!isRoot()) return 'not root (needs namespaces and taps)';
  try {
    execFileSync('sh', ['-c', 'command -v qemu-system-x86_64 && command -v dumpcap'], { stdio: 'ignore' });
  } catch {
    return 'qemu-system-x86_64 or dumpcap missing (run ./scripts/test-env.sh)';
  }
  return undefined;
}

const skip = whyNot();
if (skip) process.stderr.write(`interop self-test SKIPPED: ${skip}\n`);

describe.skipIf(skip !== undefined)('interop harness self-test (QEMU guest, no server)', () => {
  it('boots the guest, checks its modules, reaches the host, and its ESP decrypts host-side', async () => {
    const image = ensureGuestImage();
    const r = await runCase(SELFTEST, { image });
    process.stdout.write(
      `interop self-test: ${r.pass ? 'PASS' : 'FAIL'} in ${r.seconds.toFixed(1)} s (guest ${r.guests[0]?.seconds.toFixed(1)} s); image built in ${image.buildSeconds} s\n`,
    );
    expect(r.detail).toBe('setup ok, data ok, esp ok');
    expect(r.pass).toBe(true);
    // Nothing left behind: the case's namespace is gone and no QEMU of ours still runs.
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(
      `l2s-selftest-${process.pid}`,
    );
    // pgrep exits 1 when nothing matches: no QEMU still serving this case's share.
    expect(() => execFileSync('pgrep', ['-f', `path=${join(r.artifacts, 'guest0')}`])).toThrow();

    const share = join(r.artifacts, 'guest0');
    const log = readFileSync(join(share, 'cmd.log'), 'utf8');
    for (const m of ['esp4', 'xfrm_user', 'l2tp_ppp', 'ppp_generic'])
      expect(log).toContain(`module ${m} loaded`);
    expect(readFileSync(join(share, 'kernel-release'), 'utf8').trim()).toBe(image.kernelVersion);
    expect(readFileSync(join(share, 'ping.txt'), 'utf8')).toMatch(/3 packets transmitted, 3 received/);
    for (const f of [
      'host.pcap',
      'guest0.nic.pcap',
      'guest0.serial.log',
      'guest0/guest.pcap',
      'decrypt.sh',
    ]) {
      expect(existsSync(join(r.artifacts, f)), f).toBe(true);
    }

    const states = parseXfrmState(readFileSync(join(share, 'xfrm-state.txt'), 'utf8'));
    expect(states.map((s) => s.spi)).toEqual([SELFTEST_SA.spi]);
    const fields = (extra: string[]) =>
      execFileSync(
        'tshark',
        // The host's ICMP port-unreachable quotes the ESP packet; leave it out.
        [
          '-r',
          join(r.artifacts, 'host.pcap'),
          ...extra,
          '-Y',
          'esp && !(icmp.type == 3)',
          '-T',
          'fields',
          '-e',
          'esp.spi',
          '-e',
          'icmp.type',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
    // The ping inside ESP: invisible without the keys, an ICMP echo request (type 8) with them.
    expect(fields([])).toBe('0x5e1f7e57');
    expect(fields(tsharkDecryptArgs(states))).toBe('0x5e1f7e57\t8');
  }, 400_000);

  it('connects the stock client to the reference server through every stage (case 01, --reference)', async () => {
    const baseline = SERVER_CASES.find((c) => c.name === '01-baseline')!;
    const r = await runCase({ ...baseline, name: '01-baseline-reference' }, { reference: true });
    process.stdout.write(
      `interop reference baseline: ${r.pass ? 'PASS' : 'FAIL'} in ${r.seconds.toFixed(1)} s\n`,
    );
    expect(r.detail).toMatch(/^ppp0 10\.77\.0\.\d+ peer 10\.77\.0\.1$/);
    expect(r.pass).toBe(true);
    const share = join(r.artifacts, 'guest0');
    const stages = readFileSync(join(share, 'stages'), 'utf8');
    expect(stages.split('\n').map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      'setup ok',
      'IKE ok',
      'L2TP ok',
      'PPP ok',
      'data ok',
      '',
    ]);
    expect(readFileSync(join(share, 'ipsec-status.txt'), 'utf8')).toMatch(/INSTALLED, TRANSPORT/);
    expect(readFileSync(join(share, 'pppd.log'), 'utf8')).toMatch(/MS-CHAP-v2|CHAP authentication succeeded/);
    // The L2TP control exchange and the pings, visible only through the guest's ESP keys.
    const states = parseXfrmState(readFileSync(join(share, 'xfrm-state.txt'), 'utf8'));
    const l2tp = execFileSync(
      'tshark',
      [
        '-r',
        join(r.artifacts, 'host.pcap'),
        ...tsharkDecryptArgs(states),
        '-Y',
        'l2tp.avp.message_type',
        '-T',
        'fields',
        '-e',
        'l2tp.avp.message_type',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    for (const type of ['1', '2', '3', '10', '11', '12']) expect(l2tp.split('\n')).toContain(type); // SCCRQ..ICCN

    // Quick Mode's SA payload is encrypted; decrypt.sh carries the IKEv1 key charon logged (ike-keys.ts).
    const decrypt = readFileSync(join(r.artifacts, 'decrypt.sh'), 'utf8');
    const ike = /uat:ikev1_decryption_table:([0-9a-f]{16}),([0-9A-F]+)/.exec(decrypt);
    expect(ike).not.toBeNull();
    const qmTransforms = (extra: string[]) =>
      execFileSync(
        'tshark',
        [
          '-r',
          join(r.artifacts, 'host.pcap'),
          ...extra,
          '-Y',
          'isakmp.exchangetype == 32 && isakmp.trans.id',
          '-T',
          'fields',
          '-e',
          'frame.number',
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ).trim();
    expect(qmTransforms([])).toBe('');
    expect(qmTransforms(['-o', `uat:ikev1_decryption_table:${ike![1]},${ike![2]}`])).not.toBe('');
  }, 500_000);
});
