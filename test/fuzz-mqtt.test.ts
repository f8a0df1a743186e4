// Fuzzing the MQTT path, bounded and deterministic (seeded): ≥ 100 000 malformed
// payloads on telemetry, event and snapshot topics go through the real broker to the
// real ingest, interleaved with good telemetry. Ingest must dead-letter each bad
// one with a reason (count and order checked) and store every good reading exactly
// once. Then raw protocol garbage on sockets: the broker stays up and a gateway
// keeps delivering. Figures are printed (docs/RELIABILITY.md, "Fuzzing").
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../lib/wait.js';
import { encodeSnapshot, topics } from '../protocol/index.js';
import { HOSTILE_STRINGS, Prng } from './harness/fuzz.js';
import { startTestSystem } from './harness/system.js';

/** Figures for docs/RELIABILITY.md and docs/SECURITY.md, printed with the test output. */
const report = (line: string) => void process.stdout.write(`${line}\n`);

const SEED = Number(process.env.SB_FUZZ_SEED ?? 20261201);
const BAD_COUNT = Number(process.env.SB_FUZZ_MESSAGES ?? 100_000);
/** One good reading after every this many bad payloads. */
const GOOD_EVERY = 10;
const SITE = 'fuzz-site';
const GW = { site: SITE, gateway: 'gw-fuzz' };

type Channel = 'telemetry' | 'event' | 'snapshot';
interface BadCase { kind: string; channel: Channel; payload: Buffer | string; reason: RegExp }

const JSON_REASON = /not valid JSON|empty payload|invalid message|exceeds the limit|ahead of the ingest clock/;
const SNAPSHOT_REASON = /snapshot/;

const now = Date.now();
function sample(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ts: now - 1000, seq: 1, values: { temperature: -31.5 }, ...overrides };
}
function telemetry(overrides: Record<string, unknown> = {}, samples: unknown = [sample()]): Record<string, unknown> {
  return { v: 1, measurement: 'weather', profile: 'th-transmitter', samples, ...overrides };
}
function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { v: 1, ts: now - 1000, type: 'device-online', ...overrides };
}

/**
 * Built once: 129 fields (limit 128), 1001 samples (limit 1000, 50 KB). Over 256 KiB is
 * in ingest-rejects.test.ts; the big ones are kept rare so the run stays byte-light.
 */
const TOO_MANY_FIELDS = JSON.stringify(telemetry({}, [sample({ values: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`f${i}`, i])) })]));
const TOO_MANY_SAMPLES = JSON.stringify(telemetry({}, Array.from({ length: 1001 }, (_, i) => ({ ts: now - 5000, seq: i, values: { t: i } }))));

/** Hostile strings a pattern refuses ("null", "true" are valid names, so not every hostile string is an invalid one). */
const hostile = (r: Prng, allowed: RegExp) => r.pick(HOSTILE_STRINGS.filter((s) => !allowed.test(s)));
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** The generators of malformed payloads, each with the reason ingest must give. */
const GENERATORS: ReadonlyArray<(r: Prng) => BadCase> = [
  (r) => ({ kind: 'random bytes', channel: r.pick(['telemetry', 'event'] as const), payload: r.bytes(1 + r.int(300)), reason: JSON_REASON }),
  (r) => ({ kind: 'random bytes', channel: 'snapshot', payload: r.bytes(r.int(300)), reason: SNAPSHOT_REASON }),
  (r) => {
    const full = JSON.stringify(telemetry({}, [sample({ seq: r.int(1000) })]));
    return { kind: 'truncated JSON', channel: 'telemetry', payload: full.slice(0, 1 + r.int(full.length - 2)), reason: /not valid JSON/ };
  },
  (r) => ({ kind: 'huge number', channel: 'telemetry', payload: JSON.stringify(telemetry({}, [sample({ values: { t: 1 } })])).replace('"t":1', `"t":${r.pick(['1e309', '-1e400', '9'.repeat(400)])}`), reason: /invalid message/ }),
  (r) => ({ kind: 'NaN/Infinity', channel: 'telemetry', payload: JSON.stringify(telemetry({}, [sample({ values: { t: r.pick(['NaN', 'Infinity', '-Infinity']) } })])), reason: /invalid message: samples\.0\.values\.t/ }),
  (r) => ({ kind: 'NaN literal', channel: 'telemetry', payload: `{"v":1,"measurement":"air","profile":"p","samples":[{"ts":${now},"seq":1,"values":{"t":${r.pick(['NaN', 'Infinity', '-Infinity', 'undefined'])}}}]}`, reason: /not valid JSON/ }),
  (r) => {
    const [field, value] = r.pick<[string, unknown]>([
      ['v', 2], ['v', '1'], ['measurement', 42], ['profile', null], ['samples', {}], ['samples', 'many'], ['samples', []],
    ]);
    return { kind: 'wrong types', channel: 'telemetry', payload: JSON.stringify(telemetry({ [field]: value })), reason: /invalid message/ };
  },
  (r) => ({ kind: 'wrong sample types', channel: 'telemetry', payload: JSON.stringify(telemetry({}, [sample(r.pick([
    { ts: String(now) }, { seq: -1 }, { seq: 1.5 }, { values: [] }, { values: {} }, { values: { t: 'cold' } }, { values: { t: null } }, { quality: 'excellent' }, { extra: 1 },
  ]))])), reason: /invalid message: samples\.0/ }),
  (r) => ({ kind: 'far-future timestamp', channel: 'telemetry', payload: JSON.stringify(telemetry({}, [sample({ ts: now + 86_400_000 * (2 + r.int(100_000)) })])), reason: /ahead of the ingest clock/ }),
  (r) => ({ kind: 'pre-2000 timestamp', channel: 'telemetry', payload: JSON.stringify(telemetry({}, [sample({ ts: r.pick([0, -1, 946_684_799_999, 1_000_000_000]) })])), reason: /samples\.0\.ts: timestamp is before 2000/ }),
  (r) => ({ kind: 'injection in fields', channel: 'telemetry', payload: JSON.stringify(r.pick([
    telemetry({ measurement: hostile(r, NAME) }),
    telemetry({ profile: hostile(r, /^[a-z0-9][a-z0-9._-]{0,63}$/) }),
    telemetry({}, [sample({ values: { [hostile(r, NAME)]: 1 } })]),
  ])), reason: /invalid message/ }),
  (r) => ({ kind: 'oversized array', channel: 'telemetry', payload: r.next() < 0.05 ? TOO_MANY_SAMPLES : TOO_MANY_FIELDS, reason: /invalid message: samples/ }),
  (r) => ({ kind: 'bad event', channel: 'event', payload: JSON.stringify(r.pick([
    event({ v: 9 }), event({ ts: 'now' }), event({ ts: 12 }), event({ type: hostile(r, /^[a-z][a-z0-9-]{0,63}$/) }), event({ message: 'x'.repeat(2001) }),
    event({ data: [1, 2] }), event({ ts: now + 86_400_000 * 400 }),
  ])), reason: /invalid message|ahead of the ingest clock|empty payload/ }),
  (r) => {
    const good = encodeSnapshot({ ts: now - 1000, trigger: 'schedule', width: 1, height: 1 }, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    const broken = Buffer.from(good);
    const variant = r.int(6);
    if (variant === 0) broken.write('JPEG', 0, 'ascii');                      // bad magic
    else if (variant === 1) broken.writeUInt32BE(0xffffffff, 4);              // header length beyond the limit
    else if (variant === 2) broken.writeUInt32BE(good.length, 4);             // header runs past the end
    else if (variant === 3) broken[9] = 0x7b + 1;                              // header not JSON
    else if (variant === 4) broken[broken.length - 1] = 0x00;                  // image does not match its hash
    return { kind: 'broken snapshot envelope', channel: 'snapshot', payload: variant === 5 ? broken.subarray(0, 5 + r.int(good.length - 6)) : broken, reason: SNAPSHOT_REASON };
  },
  () => ({ kind: 'empty payload', channel: 'telemetry', payload: '', reason: /empty payload/ }),
];

describe('MQTT fuzzing', () => {
  let system: Awaited<ReturnType<typeof startTestSystem>>;
  let gateway: MqttClient;

  beforeAll(async () => {
    system = await startTestSystem((dir) => ({ kind: 'sqlite', path: `${dir}/shaobing.db` }), []);
    const login = await system.addGatewayAccount(GW.site, GW.gateway);
    gateway = await mqtt.connectAsync(system.brokerUrl, { ...login, clientId: 'gw-fuzz', reconnectPeriod: 0, protocolVersion: 4 });
    await system.ingest.ready;
  }, 30_000);
  afterAll(async () => {
    await gateway?.endAsync(true);
    await system?.close();
  });

  it(`dead-letters ${BAD_COUNT} malformed payloads with a reason each and stores every good reading exactly once`, async () => {
    const prng = new Prng(SEED);
    const expected: BadCase[] = [];
    const kinds = new Map<string, number>();
    const goodTimes: number[] = [];
    const baseTs = now - 3_600_000;
    const generatedAt = performance.now();
    for (let i = 0; i < BAD_COUNT; i++) {
      const bad = prng.pick(GENERATORS)(prng);
      expected.push(bad);
      kinds.set(bad.kind, (kinds.get(bad.kind) ?? 0) + 1);
    }
    const generationS = (performance.now() - generatedAt) / 1000;
    const startedAt = performance.now();
    let published = 0;
    for (let i = 0; i < BAD_COUNT; i++) {
      const bad = expected[i]!;
      const device = `dev-${i % 7}`;
      const topic = bad.channel === 'telemetry' ? topics.telemetry(GW, device) : bad.channel === 'event' ? topics.event(GW, device) : topics.snapshot(GW, `cam-${i % 3}`);
      gateway.publish(topic, bad.payload, { qos: 0 });
      published++;
      if (i % GOOD_EVERY === GOOD_EVERY - 1) {
        const ts = baseTs + goodTimes.length;
        goodTimes.push(ts);
        const good = JSON.stringify(telemetry({}, [{ ts, seq: goodTimes.length, values: { temperature: -20 - (goodTimes.length % 17) } }]));
        // QoS 1 every 1000 readings paces the publisher to what the broker takes (bounded memory).
        if (goodTimes.length % 1000 === 0) await gateway.publishAsync(topics.telemetry(GW, 'good-1'), good, { qos: 1 });
        else gateway.publish(topics.telemetry(GW, 'good-1'), good, { qos: 0 });
        published++;
      }
    }
    await waitFor(() => system.ingest.stats().received >= published, { what: `${published} messages at ingest`, timeoutMs: 300_000, intervalMs: 200 });
    await system.ingest.drain();
    const seconds = (performance.now() - startedAt) / 1000;

    // Dead letters are in publish order (one connection, handled as they arrive): each has its case's reason.
    const letters = system.deadLetters.recent(BAD_COUNT).reverse();
    const mismatches = letters.flatMap((letter, i) => (expected[i]!.reason.test(letter.reason) ? [] : [{ i, kind: expected[i]!.kind, reason: letter.reason }]));
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(system.ingest.stats().rejected).toBe(BAD_COUNT);
    expect(system.deadLetters.count()).toBe(BAD_COUNT);

    const stored = await system.store.history({ site: SITE, gateway: GW.gateway, device: 'good-1', fields: ['temperature'], from: baseTs, to: baseTs + goodTimes.length });
    const points = stored.flatMap((series) => series.points.map(([ts]) => ts));
    expect(points.length).toBe(goodTimes.length);
    expect(new Set(points).size).toBe(goodTimes.length);
    expect([...points].sort((a, b) => a - b)).toEqual(goodTimes);
    // Nothing from the bad payloads reached the store under any device.
    const everything = await system.store.history({ site: SITE, from: 0, to: now + 86_400_000 * 365 * 300 });
    expect(everything.map((s) => s.device)).toEqual(['good-1']);

    report(`MQTT payload fuzz (seed ${SEED}): ${BAD_COUNT} malformed + ${goodTimes.length} good = ${published} messages in ${seconds.toFixed(1)} s `
      + `(${Math.round(published / seconds)} msg/s; generating them took ${generationS.toFixed(1)} s more); ${BAD_COUNT} dead letters; ${points.length} good readings stored once each. Cases: `
      + [...kinds].map(([k, n]) => `${k} ${n}`).join(', '));
  }, 400_000);

  it('survives raw protocol garbage on sockets; the broker stays up and a gateway keeps delivering', async () => {
    const prng = new Prng(SEED + 1);
    const stats = () => system.broker.stats();
    const before = stats();
    const connectPacket = (body: Buffer) => Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
    const mqttString = (s: string | Buffer) => { const b = Buffer.from(s); const h = Buffer.alloc(2); h.writeUInt16BE(b.length & 0xffff); return Buffer.concat([h, b]); };
    const garbage: Array<[string, (r: Prng) => Buffer]> = [
      ['random bytes', (r) => r.bytes(1 + r.int(512))],
      ['random bytes after a CONNECT type byte', (r) => Buffer.concat([Buffer.from([0x10]), r.bytes(1 + r.int(64))])],
      ['five-byte remaining length', () => Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])],
      ['reserved packet type 0 / 15', (r) => Buffer.from([r.pick([0x00, 0xf0]), 0x00])],
      ['PUBLISH before CONNECT', () => Buffer.concat([Buffer.from([0x30, 0x07]), mqttString('a/b'), Buffer.from('xy')])],
      ['CONNECT with protocol level 99', () => connectPacket(Buffer.concat([mqttString('MQTT'), Buffer.from([99, 0x02, 0, 60]), mqttString('x')]))],
      ['CONNECT with protocol name "HTTP"', () => connectPacket(Buffer.concat([mqttString('HTTP'), Buffer.from([4, 0x02, 0, 60]), mqttString('x')]))],
      ['CONNECT with reserved flag set', () => connectPacket(Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x03, 0, 60]), mqttString('x')]))],
      ['CONNECT with will QoS 3', () => connectPacket(Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x1e, 0, 60]), mqttString('x'), mqttString('t'), mqttString('m')]))],
      ['CONNECT with username flag and no username', () => connectPacket(Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x82, 0, 60]), mqttString('x')]))],
      ['CONNECT with a 65535-byte client id claim', () => connectPacket(Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0x02, 0xff, 0xff, 0xff, 0xff]), Buffer.from('short')]))],
      ['CONNECT with string lengths past the packet', (r) => connectPacket(Buffer.concat([Buffer.from([0xff, 0xff]), r.bytes(20)]))],
      ['HTTP request', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['TLS ClientHello head', () => Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03])],
    ];
    const recorded: string[] = [];
    const ingestStats = system.ingest.stats();
    const goodDevice = 'good-2';
    const SOCKETS = 1000;
    const startedAt = performance.now();
    const outcomes = { closedByBroker: 0, endedByUs: 0 };
    // Spread over source IPs 127.0.0.2–127.0.0.201 (5 each): the per-IP connect limit must not hide the garbage from the parser.
    const send = async (n: number) => {
      const [name, make] = prng.pick(garbage);
      recorded.push(name);
      const bytes = make(prng);
      await new Promise<void>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port: system.broker.port, localAddress: `127.0.0.${2 + (n % 200)}` });
        const timer = setTimeout(() => { outcomes.endedByUs++; socket.destroy(); resolve(); }, 1500);
        socket.on('error', () => {});
        socket.once('connect', () => socket.write(bytes));
        socket.once('close', () => { clearTimeout(timer); resolve(); });
        socket.once('end', () => { clearTimeout(timer); outcomes.closedByBroker++; });
      });
    };
    let next = 0;
    let goodSeq = 0;
    const goodTimes: number[] = [];
    const baseTs = now - 7_200_000;
    await Promise.all([
      ...Array.from({ length: 50 }, async () => { while (next < SOCKETS) await send(next++); }),
      (async () => {
        while (next < SOCKETS) {
          const ts = baseTs + goodSeq;
          goodTimes.push(ts);
          await gateway.publishAsync(topics.telemetry(GW, goodDevice), JSON.stringify(telemetry({}, [{ ts, seq: ++goodSeq, values: { temperature: 1 } }])), { qos: 1 });
        }
      })(),
    ]);
    const seconds = (performance.now() - startedAt) / 1000;
    const after = stats();
    expect(after.connectionsRefusedTotal).toBe(before.connectionsRefusedTotal);
    expect(after.protocolErrorsTotal - before.protocolErrorsTotal).toBeGreaterThan(SOCKETS / 2);
    expect(gateway.connected).toBe(true);
    await waitFor(() => system.ingest.stats().received >= ingestStats.received + goodTimes.length, { what: 'the good readings sent during the garbage' });
    await system.ingest.drain();
    const stored = await system.store.history({ site: SITE, gateway: GW.gateway, device: goodDevice, fields: ['temperature'], from: baseTs, to: baseTs + goodTimes.length });
    expect(stored.flatMap((s) => s.points).length).toBe(goodTimes.length);
    // A fresh, well-behaved client is still admitted.
    const fresh = await mqtt.connectAsync(system.brokerUrl, { ...(await system.addGatewayAccount(SITE, 'gw-late')), clientId: 'gw-late', reconnectPeriod: 0 });
    await fresh.endAsync();
    report(`MQTT protocol garbage (seed ${SEED + 1}): ${SOCKETS} sockets in ${seconds.toFixed(1)} s, ${outcomes.closedByBroker} closed by the broker, `
      + `${outcomes.endedByUs} left waiting for more bytes (closed by the test after 1500 ms); protocol errors counted ${after.protocolErrorsTotal - before.protocolErrorsTotal}; `
      + `${goodTimes.length} good readings from a gateway meanwhile, all stored. Cases: ${[...new Set(recorded)].length} kinds`);
  }, 60_000);
});

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
