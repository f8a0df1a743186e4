// Part (a)'s arithmetic: requests per cycle from the planner, per profile and in total.
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../gateway/profile.js';
import { renderRequests, requestCounts } from './requests-part.js';

const profile = (name: string, points: { name: string; table: string; address: number; type: string }[]) =>
  parseProfile({ name, manufacturer: 't', model: 't', measurement: 'air', source: 't', points });

describe('requestCounts', () => {
  it('counts requests per gap setting and the registers they read', () => {
    const pm = profile('pm', [
      { name: 'pm25', table: 'holding', address: 4, type: 'uint16' },
      { name: 'pm10', table: 'holding', address: 9, type: 'uint16' },
    ]);
    expect(requestCounts(pm)).toEqual({ profile: 'pm', points: 2, perPoint: 2, coalesced: [2, 1, 1], registersRead: [2, 6, 6] });
  });

  it('renders a table with totals and a summary', () => {
    const th = profile('th', [
      { name: 'humidity', table: 'holding', address: 0, type: 'uint16' },
      { name: 'temperature', table: 'holding', address: 1, type: 'int16' },
    ]);
    const { markdown, summary } = renderRequests([requestCounts(th)]);
    expect(markdown).toContain('| th | 2 | 2 | 1 (2 reg.) | 1 (2 reg.) | 1 (2 reg.) |');
    expect(summary[0]).toBe('gap 0: 1 requests per cycle for 1 profiles instead of 2 (2.0× fewer)');
  });
});
