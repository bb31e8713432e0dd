/**
 * The option negotiation automaton of RFC 1661 section 4: ten states, sixteen events, thirteen actions.
 * This file is only the transition function (section 4.1's table); the restart timer, counters and packets
 * that the actions stand for live in `control-protocol.ts`, so the table can be tested cell by cell.
 */

/** RFC 1661 section 4.2, numbered as in the table (0 Initial … 9 Opened). */
export const FSM_STATES = [
  'initial',
  'starting',
  'closed',
  'stopped',
  'closing',
  'stopping',
  'req-sent',
  'ack-rcvd',
  'ack-sent',
  'opened',
] as const;
export type FsmState = (typeof FSM_STATES)[number];

/** RFC 1661 section 4.3. */
export const FSM_EVENTS = [
  'up',
  'down',
  'open',
  'close',
  'to+',
  'to-',
  'rcr+',
  'rcr-',
  'rca',
  'rcn',
  'rtr',
  'rta',
  'ruc',
  'rxj+',
  'rxj-',
  'rxr',
] as const;
export type FsmEvent = (typeof FSM_EVENTS)[number];

/** RFC 1661 section 4.4: tlu/tld/tls/tlf notify the layer above; the rest act on counters or send. */
export type FsmAction =
  | 'tlu'
  | 'tld'
  | 'tls'
  | 'tlf'
  | 'irc'
  | 'zrc'
  | 'scr'
  | 'sca'
  | 'scn'
  | 'str'
  | 'sta'
  | 'scj'
  | 'ser';

export interface Transition {
  readonly next: FsmState;
  readonly actions: readonly FsmAction[];
}

/**
 * One row per event, one cell per state 0..9. A cell is `actions/next` or `next`; `-` means the event cannot
 * occur in that state. The optional behaviours marked r (restart), p (passive) and x (crossed connection)
 * in the RFC are not taken: the cell's plain transition applies.
 */
const TABLE: Readonly<Record<FsmEvent, readonly string[]>> = {
  up: ['2', 'irc,scr/6', '-', '-', '-', '-', '-', '-', '-', '-'],
  down: ['-', '-', '0', 'tls/1', '0', '1', '1', '1', '1', 'tld/1'],
  open: ['tls/1', '1', 'irc,scr/6', '3', '5', '5', '6', '7', '8', '9'],
  close: ['0', 'tlf/0', '2', '2', '4', '4', 'irc,str/4', 'irc,str/4', 'irc,str/4', 'tld,irc,str/4'],
  'to+': ['-', '-', '-', '-', 'str/4', 'str/5', 'scr/6', 'scr/6', 'scr/8', '-'],
  'to-': ['-', '-', '-', '-', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', '-'],
  'rcr+': ['-', '-', 'sta/2', 'irc,scr,sca/8', '4', '5', 'sca/8', 'sca,tlu/9', 'sca/8', 'tld,scr,sca/8'],
  'rcr-': ['-', '-', 'sta/2', 'irc,scr,scn/6', '4', '5', 'scn/6', 'scn/7', 'scn/6', 'tld,scr,scn/6'],
  rca: ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc/7', 'scr/6', 'irc,tlu/9', 'tld,scr/6'],
  rcn: ['-', '-', 'sta/2', 'sta/3', '4', '5', 'irc,scr/6', 'scr/6', 'irc,scr/8', 'tld,scr/6'],
  rtr: ['-', '-', 'sta/2', 'sta/3', 'sta/4', 'sta/5', 'sta/6', 'sta/6', 'sta/6', 'tld,zrc,sta/5'],
  rta: ['-', '-', '2', '3', 'tlf/2', 'tlf/3', '6', '6', '8', 'tld,scr/6'],
  ruc: ['-', '-', 'scj/2', 'scj/3', 'scj/4', 'scj/5', 'scj/6', 'scj/7', 'scj/8', 'scj/9'],
  'rxj+': ['-', '-', '2', '3', '4', '5', '6', '6', '8', '9'],
  'rxj-': ['-', '-', 'tlf/2', 'tlf/3', 'tlf/2', 'tlf/3', 'tlf/3', 'tlf/3', 'tlf/3', 'tld,irc,str/5'],
  rxr: ['-', '-', '2', '3', '4', '5', '6', '7', '8', 'ser/9'],
};

function parseCell(cell: string): Transition | undefined {
  if (cell === '-') return undefined;
  const slash = cell.indexOf('/');
  const actions = slash < 0 ? [] : (cell.slice(0, slash).split(',') as FsmAction[]);
  return { next: FSM_STATES[Number(cell.slice(slash + 1))], actions };
}

const COMPILED: ReadonlyMap<string, Transition | undefined> = new Map(
  FSM_EVENTS.flatMap((e) => FSM_STATES.map((s, i) => [`${s}|${e}`, parseCell(TABLE[e][i])] as const)),
);

/** The transition for `event` in `state`, or undefined where RFC 1661 marks it as impossible ("-"). */
export function transition(state: FsmState, event: FsmEvent): Transition | undefined {
  return COMPILED.get(`${state}|${event}`);
}

/** Section 4.6: the restart timer runs only while a request is outstanding. */
export function restartTimerRuns(state: FsmState): boolean {
  return (
    state === 'closing' ||
    state === 'stopping' ||
    state === 'req-sent' ||
    state === 'ack-rcvd' ||
    state === 'ack-sent'
  );
}
