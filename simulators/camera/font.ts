// A 5×7 bitmap font for the on-screen display (camera name, date and time) burnt into the
// simulated snapshot, as real cameras' OSD does. Only what an OSD needs: A–Z, 0–9 and a few
// marks; lowercase is drawn as uppercase and anything else as '?'. Pure.

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

// Each glyph: 7 rows of 5 columns, '#' = ink. Written out so that a wrong pixel is easy to see.
const GLYPH_ROWS: Readonly<Record<string, string>> = {
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '####. #...# #...# #...# #...# #...# ####.',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '####. ....# ....# .###. ....# ....# ####.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  '-': '..... ..... ..... ##### ..... ..... .....',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  ':': '..... ..#.. ..#.. ..... ..#.. ..#.. .....',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  '/': '....# ...#. ...#. ..#.. .#... .#... #....',
  _: '..... ..... ..... ..... ..... ..... #####',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  ' ': '..... ..... ..... ..... ..... ..... .....',
};

/** Row bitmasks per glyph (bit 4 = leftmost column). */
const GLYPHS: ReadonlyMap<string, readonly number[]> = new Map(
  Object.entries(GLYPH_ROWS).map(([ch, art]) => {
    const rows = art.split(' ');
    if (rows.length !== GLYPH_HEIGHT || rows.some((r) => r.length !== GLYPH_WIDTH)) throw new Error(`glyph "${ch}" is not 5×7`);
    return [ch, rows.map((r) => [...r].reduce((bits, c) => (bits << 1) | (c === '#' ? 1 : 0), 0))];
  }),
);

/** The rows of a character's glyph; lowercase folds to uppercase, unknown characters become '?'. */
export function glyph(ch: string): readonly number[] {
  return GLYPHS.get(ch.toUpperCase()) ?? GLYPHS.get('?')!;
}

/** Width in pixels of `text` drawn at `scale` with one blank column between characters. */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * (GLYPH_WIDTH + 1) - 1) * scale;
}

/** An RGBA image in memory (what jpeg-js encodes). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

export function setPixel(image: RgbaImage, x: number, y: number, [r, g, b]: readonly [number, number, number]): void {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  const i = (y * image.width + x) * 4;
  image.data[i] = r;
  image.data[i + 1] = g;
  image.data[i + 2] = b;
  image.data[i + 3] = 255;
}

/** Draws `text` with its top-left corner at (x, y); pixels outside the image are clipped. */
export function drawText(image: RgbaImage, x: number, y: number, text: string, color: readonly [number, number, number], scale = 1): void {
  let penX = x;
  for (const ch of text) {
    const rows = glyph(ch);
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!((rows[row]! >> (GLYPH_WIDTH - 1 - col)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) setPixel(image, penX + col * scale + dx, y + row * scale + dy, color);
      }
    }
    penX += (GLYPH_WIDTH + 1) * scale;
  }
}
