/** Names under which the L2TP layer counts drops and events (`Counters` from src/util/counters.ts). */
import type { L2tpDropReason } from './errors.js';

export type L2tpCounter =
  | L2tpDropReason
  | 'rx-control'
  | 'rx-zlb'
  | 'rx-data'
  | 'tx-control'
  | 'protocol-error'
  | 'unknown-optional-avp'
  | 'auth-failure';
