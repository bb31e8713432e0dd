/**
 * ike-scan (NTA Monitor) as an IKEv1 prober from inside a test namespace. It sends one Main Mode (or
 * Aggressive Mode) first message with the given transforms and reports what came back: a handshake (the
 * responder chose a transform) or a notify (e.g. NO-PROPOSAL-CHOSEN). ike-scan always exits 0, so the
 * result is read from its per-host lines and its closing `N returned handshake; M returned notify` line.
 */
import type { Netns, RunResult } from './netns.js';

export interface IkeScanOptions {
  /**
   * Transforms as ike-scan's `--trans=enc[/bits],hash,auth,group` (RFC 2409 appendix A numbers), one entry
   * per transform, in the order proposed; empty means ike-scan's default list.
   */
  readonly trans?: readonly string[];
  /** RFC 3947 encapsulation: non-ESP marker, source and destination port 4500. */
  readonly natT?: boolean;
  /** Aggressive Mode (needs an identity: `id`, default `l2tpsec-test`). */
  readonly aggressive?: boolean;
  readonly id?: string;
  /** DH group for Aggressive Mode's KE payload (ike-scan `--dhgroup`). */
  readonly dhGroup?: number;
  /** Lifetime in seconds proposed (ike-scan `--lifetime`). */
  readonly lifetime?: number;
  /** Vendor ID payloads to add, hex. */
  readonly vendorIds?: readonly string[];
  /** Source port (`--sport`; 0 = random). Default: ike-scan's (500, or 4500 with natT). */
  readonly sourcePort?: number;
  /** Per-host timeout in ms and retries (ike-scan `--timeout`, `--retry`). */
  readonly timeoutMs?: number;
  readonly retry?: number;
}

export interface IkeScanResult {
  readonly handshakes: number;
  readonly notifies: number;
  /** `Main` or `Aggressive` when a handshake came back. */
  readonly mode: 'Main' | 'Aggressive' | undefined;
  /** The notify message type and name, e.g. 14 / `NO-PROPOSAL-CHOSEN`. */
  readonly notifyType: number | undefined;
  readonly notifyName: string | undefined;
  /** The transform the responder chose, as ike-scan prints it (`Enc=AES KeyLength=256 Hash=SHA1 …`). */
  readonly sa: string | undefined;
  /** Vendor IDs in the answer, as ike-scan names them (hex with its description, if any). */
  readonly vendorIds: readonly string[];
  readonly output: string;
}

export function ikeScanArgs(target: string, o: IkeScanOptions): string[] {
  const args: string[] = [];
  for (const t of o.trans ?? []) args.push(`--trans=${t}`);
  if (o.natT) args.push('--nat-t');
  if (o.aggressive) args.push('--aggressive', `--id=${o.id ?? 'l2tpsec-test'}`);
  if (o.dhGroup !== undefined) args.push(`--dhgroup=${o.dhGroup}`);
  if (o.lifetime !== undefined) args.push(`--lifetime=${o.lifetime}`);
  for (const v of o.vendorIds ?? []) args.push(`--vendor=${v}`);
  if (o.sourcePort !== undefined) args.push(`--sport=${o.sourcePort}`);
  args.push(`--timeout=${o.timeoutMs ?? 500}`, `--retry=${o.retry ?? 3}`);
  args.push(target);
  return args;
}

/** Parses ike-scan's output (single-line or `-M` multi-line form). */
export function parseIkeScan(output: string): IkeScanResult {
  const summary = /(\d+) returned handshake; (\d+) returned notify/.exec(output);
  if (!summary) throw new Error(`ike-scan printed no summary line:\n${output}`);
  const handshake = /\b(Main|Aggressive) Mode Handshake returned/.exec(output);
  const notify = /Notify message (\d+) \(([^)]+)\)/.exec(output);
  const sa = /\bSA=\(([^)]*)\)/.exec(output);
  const vendorIds = [...output.matchAll(/\bVID=([0-9a-f]+(?: \([^)]*\))?)/g)].map((m) => m[1]);
  return {
    handshakes: Number(summary[1]),
    notifies: Number(summary[2]),
    mode: handshake ? (handshake[1] as 'Main' | 'Aggressive') : undefined,
    notifyType: notify ? Number(notify[1]) : undefined,
    notifyName: notify?.[2],
    sa: sa?.[1],
    vendorIds,
    output,
  };
}

/** Runs ike-scan in `ns` against `target` (an address inside the test's namespaces only). */
export async function ikeScan(ns: Netns, target: string, opts: IkeScanOptions = {}): Promise<IkeScanResult> {
  const r: RunResult = await ns.exec(['ike-scan', ...ikeScanArgs(target, opts)], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`ike-scan failed (${r.code}): ${r.stderr}`);
  return parseIkeScan(`${r.stdout}${r.stderr}`);
}
