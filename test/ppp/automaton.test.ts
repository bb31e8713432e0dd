import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FSM_EVENTS, FSM_STATES, type FsmEvent, transition } from '../../src/ppp/automaton.js';

interface TableVector {
  states: string[];
  rows: { event: string; cells: string[]; source: string }[];
}

const table = JSON.parse(
  readFileSync(new URL('../../vectors/ppp-rfc1661-state-table.json', import.meta.url), 'utf8'),
) as TableVector;

/** Reads an RFC notation cell ("irc,scr/6x", "3r", "-") into expected actions and next state. */
function parseRfcCell(cell: string): { actions: string[]; next: number } | undefined {
  if (cell === '-') return undefined;
  const plain = cell.replace(/[rpx]$/, '');
  const [acts, next] = plain.includes('/') ? plain.split('/') : ['', plain];
  return { actions: acts ? acts.split(',') : [], next: Number(next) };
}

describe('RFC 1661 s4.1 state transition table', () => {
  it('covers all 16 events x 10 states', () => {
    expect(table.rows.map((r) => r.event.toLowerCase())).toEqual([...FSM_EVENTS]);
    for (const r of table.rows) expect(r.cells).toHaveLength(10);
    expect(table.states.map((s) => s.toLowerCase())).toEqual([...FSM_STATES]);
  });

  for (const row of table.rows) {
    const event = row.event.toLowerCase() as FsmEvent;
    it(`event ${row.event}: every state (${row.source})`, () => {
      FSM_STATES.forEach((state, i) => {
        const want = parseRfcCell(row.cells[i]);
        const got = transition(state, event);
        if (!want) {
          expect(got, `${state} ${row.event}`).toBeUndefined();
          return;
        }
        expect(got, `${state} ${row.event}`).toBeDefined();
        expect({ state, event, next: got?.next, actions: got?.actions }).toEqual({
          state,
          event,
          next: FSM_STATES[want.next],
          actions: want.actions,
        });
      });
    });
  }
});
