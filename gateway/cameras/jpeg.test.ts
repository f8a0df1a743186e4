// JPEG checks and the frame size from the SOF marker: real encoder output and hand-built
// marker sequences (progressive SOF2, fill bytes, APP segments before the frame, cut-off data).
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { checkSnapshotImage, jpegSize } from './jpeg.js';

function encoded(width: number, height: number): Buffer {
  return Buffer.from(jpeg.encode({ data: Buffer.alloc(width * height * 4, 0x80), width, height }, 70).data);
}

const segment = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
const sof = (marker: number, width: number, height: number) => segment(marker, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
const jpegOf = (...parts: number[][]) => Buffer.from([0xff, 0xd8, ...parts.flat(), 0xff, 0xd9]);

describe('jpegSize', () => {
  it('reads the size of encoder output', () => {
    expect(jpegSize(encoded(37, 23))).toEqual({ width: 37, height: 23 });
    expect(jpegSize(encoded(640, 360))).toEqual({ width: 640, height: 360 });
  });

  it.each([
    { what: 'baseline after APP0 and DQT', image: jpegOf(segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0]), segment(0xdb, new Array(65).fill(1)), sof(0xc0, 1920, 1080)), size: { width: 1920, height: 1080 } },
    { what: 'progressive (SOF2)', image: jpegOf(sof(0xc2, 800, 600)), size: { width: 800, height: 600 } },
    { what: 'fill bytes before a marker', image: jpegOf([0xff, 0xff], sof(0xc0, 2, 3)), size: { width: 2, height: 3 } },
    { what: 'DHT (C4) is not a frame header', image: jpegOf(segment(0xc4, [0, 1, 2]), sof(0xc1, 5, 6)), size: { width: 5, height: 6 } },
    { what: 'no SOF before the scan', image: jpegOf(segment(0xda, [1, 2, 3])), size: undefined },
    { what: 'a zero height', image: jpegOf(sof(0xc0, 10, 0)), size: undefined },
    { what: 'not a JPEG', image: Buffer.from('<html>401</html>'), size: undefined },
    { what: 'cut inside the SOF', image: Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 8, 1]), size: undefined },
    { what: 'garbage where a marker must be', image: Buffer.from([0xff, 0xd8, 0x12, 0x34, 0xff, 0xc0]), size: undefined },
  ])('$what', ({ image, size }) => {
    expect(jpegSize(image)).toEqual(size);
  });
});

describe('checkSnapshotImage', () => {
  const image = encoded(16, 8);

  it('accepts a complete JPEG within the cap, with its size', () => {
    expect(checkSnapshotImage(image, image.length)).toEqual({ ok: true, size: { width: 16, height: 8 } });
  });

  it.each([
    { what: 'over the cap', data: image, max: image.length - 1, reason: /exceeds maxSnapshotBytes/ },
    { what: 'cut off (no EOI)', data: image.subarray(0, image.length - 10), max: 1 << 20, reason: /not a complete JPEG/ },
    { what: 'empty', data: Buffer.alloc(0), max: 1 << 20, reason: /empty image/ },
    { what: 'an HTML page', data: Buffer.from('<html>error</html>'), max: 1 << 20, reason: /not a complete JPEG/ },
  ])('refuses an image $what', ({ data, max, reason }) => {
    const result = checkSnapshotImage(data, max);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});
