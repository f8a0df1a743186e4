// The snapshot picture: the bitmap font, and JPEGs that decode, change with time and PTZ, and are
// the same for the same inputs.
import { decode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { drawText, glyph, GLYPH_HEIGHT, textWidth, type RgbaImage } from './font.js';
import { osdTimestamp, renderScene, renderSnapshot, truncateJpeg } from './scene.js';

const T0 = Date.UTC(2026, 0, 15, 3, 0, 0); // 11:00 in Tongjiang
const scene = { name: 'Songhua Bridge 1', timeMs: T0, pan: 0, tilt: 0, zoom: 0 };

describe('font', () => {
  it('has 5×7 glyphs; lowercase folds to uppercase, unknown characters draw as ?', () => {
    expect(glyph('A')).toHaveLength(GLYPH_HEIGHT);
    expect(glyph('a')).toEqual(glyph('A'));
    expect(glyph('哨')).toEqual(glyph('?'));
    expect(glyph(' ').every((row) => row === 0)).toBe(true);
    expect(glyph('I')).toEqual([0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110]);
    expect(textWidth('AB', 2)).toBe(22);
  });

  it('draws ink where the glyph has it, clipped at the image edge', () => {
    const image: RgbaImage = { width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4) };
    drawText(image, 0, 0, '-', [255, 255, 255]);
    const lit = (x: number, y: number) => image.data[(y * 8 + x) * 4] === 255;
    expect([0, 1, 2, 3, 4].every((x) => lit(x, 3))).toBe(true);
    expect(lit(0, 2) || lit(5, 3)).toBe(false);
    expect(() => drawText(image, 6, 6, 'W', [255, 0, 0], 3)).not.toThrow();
  });
});

describe('renderSnapshot', () => {
  it('is a baseline JPEG (SOI … EOI) that decodes at the requested size', () => {
    const jpeg = renderSnapshot(scene);
    expect(jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    const image = decode(jpeg, { useTArray: true });
    expect([image.width, image.height]).toEqual([640, 360]);
    const small = decode(renderSnapshot({ ...scene, width: 320, height: 180 }), { useTArray: true });
    expect([small.width, small.height]).toEqual([320, 180]);
  });

  it('is the same for the same inputs and changes with time and with the pan', () => {
    const small = { ...scene, width: 320, height: 180 };
    const base = renderSnapshot(small);
    expect(renderSnapshot(small).equals(base)).toBe(true);
    expect(renderSnapshot({ ...small, timeMs: T0 + 1000 }).equals(base)).toBe(false);
    expect(renderSnapshot({ ...small, pan: 0.3 }).equals(base)).toBe(false);
  });

  it('moves the vehicle with the clock (pixels differ between two seconds)', () => {
    const a = renderScene(scene).data;
    const b = renderScene({ ...scene, timeMs: T0 + 5000 }).data;
    let differing = 0;
    for (let i = 0; i < a.length; i += 4) if (a[i] !== b[i]) differing++;
    expect(differing).toBeGreaterThan(500);
  });

  it('shows local time (UTC+8) in the OSD', () => {
    expect(osdTimestamp(T0)).toBe('2026-01-15 11:00:00');
  });

  it('truncateJpeg drops the end (no EOI)', () => {
    const jpeg = renderSnapshot(scene);
    const cut = truncateJpeg(jpeg);
    expect(cut.length).toBe(Math.floor(jpeg.length / 2));
    expect(cut.subarray(-2).equals(Buffer.from([0xff, 0xd9]))).toBe(false);
  });
});
