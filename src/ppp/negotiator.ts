/**
 * What a control protocol's option layer must provide to the shared automaton (RFC 1661 sections 5.1–5.4
 * and 6): build our Configure-Request, judge the peer's, and take in the peer's Nak or Reject of ours.
 * LCP, IPCP and IPv6CP each implement it.
 */
import type { CpOption } from './packet.js';

/** How the option layer judges a peer's Configure-Request (section 5.1–5.4). */
export type Verdict =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly options: readonly CpOption[] }
  | { readonly kind: 'reject'; readonly options: readonly CpOption[] }
  /** The peer's request can never be acceptable (e.g. a looped-back link): close the layer. */
  | { readonly kind: 'fail'; readonly reason: string };

/** The result of applying a peer's Nak or Reject to our request. */
export type ReplyOutcome = 'ok' | 'invalid' | { readonly fail: string };

export interface Negotiator {
  /** A fresh negotiation starts: forget what the peer Nak'd or Rejected of our request. */
  resetRequest(): void;
  /** The options of our next Configure-Request. */
  buildRequest(): CpOption[];
  /**
   * Judges the peer's request and records what it asks for. `rejectInsteadOfNak` is set once Max-Failure
   * Naks went unanswered by an Ack (section 4.6): what would be Nak'd is Rejected instead.
   */
  judgeRequest(options: readonly CpOption[], rejectInsteadOfNak: boolean): Verdict;
  applyNak(options: readonly CpOption[]): ReplyOutcome;
  applyReject(options: readonly CpOption[]): ReplyOutcome;
}
