// Small real JPEG images for tests (jpeg-js): a gradient that differs by seed, so each
// seed gives different bytes and a different SHA-256.
import jpeg from 'jpeg-js';

export function makeJpeg(seed: number, width = 64, height = 48): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 4 + seed * 37) & 0xff;
      data[i + 1] = (y * 5 + seed * 11) & 0xff;
      data[i + 2] = (seed * 53) & 0xff;
      data[i + 3] = 0xff;
    }
  }
  return Buffer.from(jpeg.encode({ data, width, height }, 80).data);
}
