// The picture behind the snapshot URL: a generated river scene (sky that follows the time of day
// in Tongjiang, the Songhua with a bridge, a vehicle crossing it) that moves with the clock and
// with the PTZ position, and an OSD with the camera name, the local date and time, and the PTZ
// position, encoded as a baseline JPEG. Pure: same inputs, same bytes; so tests can tell two
// moments apart and a person looking at a snapshot can tell which camera and when.
import { encode } from 'jpeg-js';
import { drawText, setPixel, textWidth, type RgbaImage } from './font.js';

export interface SceneInput {
  name: string;
  timeMs: number;
  /** Pan and tilt in −1…1, zoom in 0…1 (ONVIF generic spaces). */
  pan: number;
  tilt: number;
  zoom: number;
  width?: number;
  height?: number;
}

/** The OSD shows local time as Chinese cameras do; Tongjiang is UTC+8 all year. */
const LOCAL_OFFSET_MS = 8 * 3600_000;

export function osdTimestamp(timeMs: number): string {
  return new Date(timeMs + LOCAL_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

const fmt = (v: number) => (v < 0 ? '-' : '+') + Math.abs(v).toFixed(2);

export function renderScene({ name, timeMs, pan, tilt, zoom, width = 640, height = 360 }: SceneInput): RgbaImage {
  const image: RgbaImage = { width, height, data: Buffer.alloc(width * height * 4) };
  const hour = ((timeMs + LOCAL_OFFSET_MS) / 3600_000) % 24;
  const daylight = Math.max(0, Math.sin((Math.PI * (hour - 5)) / 14)); // ~05:00–19:00 in summer terms
  const light = 0.25 + 0.75 * daylight;
  const horizon = Math.round(height * (0.45 + 0.3 * tilt));
  const magnify = 1 + 2 * zoom;
  const shift = pan * width * magnify; // panning slides the scene sideways
  const river = { top: horizon + Math.round(height * 0.12), bottom: horizon + Math.round(height * 0.3) };
  const data = image.data;
  for (let y = 0; y < height; y++) {
    let r: number, g: number, b: number;
    if (y < horizon) {
      const t = y / Math.max(1, horizon);
      [r, g, b] = [90 + 80 * t, 140 + 70 * t, 220 + 30 * t];
    } else if (y >= river.top && y < river.bottom) {
      [r, g, b] = [60, 110, 160];
    } else {
      [r, g, b] = [200, 205, 210]; // snow-covered banks
    }
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      // A little texture so the JPEG is not trivially flat.
      const grain = ((x * 7 + y * 13) % 17) - 8;
      data[i] = Math.max(0, Math.min(255, r * light + grain));
      data[i + 1] = Math.max(0, Math.min(255, g * light + grain));
      data[i + 2] = Math.max(0, Math.min(255, b * light + grain));
      data[i + 3] = 255;
    }
  }
  // The bridge: a deck over the river and piers every 120 scene pixels, sliding with the pan.
  const deckTop = river.top - Math.round(8 * magnify);
  const pierSpacing = 120 * magnify;
  for (let x = 0; x < width; x++) {
    const sceneX = x + shift;
    const onPier = ((sceneX % pierSpacing) + pierSpacing) % pierSpacing < 10 * magnify;
    for (let y = deckTop; y < river.bottom; y++) {
      if (y < deckTop + 4 * magnify || onPier) setPixel(image, x, y, [70, 70, 75]);
    }
  }
  // A vehicle crossing the bridge: its position depends on the clock (one step per second).
  const span = width + 80;
  const vehicleX = Math.round(((((Math.floor(timeMs / 1000) * 37 - shift) % span) + span) % span) - 40);
  for (let y = deckTop - Math.round(14 * magnify); y < deckTop; y++) {
    for (let x = vehicleX; x < vehicleX + 40 * magnify; x++) setPixel(image, x, y, [200, 40, 30]);
  }
  // OSD: name top-left, PTZ top-right, date and time bottom-left, on dark boxes for contrast.
  const osd = (x: number, y: number, text: string, scale: number) => {
    const w = textWidth(text, scale);
    for (let yy = y - 3; yy < y + 7 * scale + 3; yy++) for (let xx = x - 3; xx < x + w + 3; xx++) setPixel(image, xx, yy, [0, 0, 0]);
    drawText(image, x, y, text, [255, 255, 255], scale);
  };
  osd(10, 10, name, 2);
  const ptz = `P${fmt(pan)} T${fmt(tilt)} Z${zoom.toFixed(2)}`;
  osd(width - 10 - textWidth(ptz, 1), 10, ptz, 1);
  osd(10, height - 10 - 14, osdTimestamp(timeMs), 2);
  return image;
}

/** Baseline JPEG of the scene (jpeg-js, pure JS; 640×360 takes a few tens of ms). */
export function encodeJpeg(image: RgbaImage, quality = 75): Buffer {
  return encode({ width: image.width, height: image.height, data: image.data }, quality).data;
}

export function renderSnapshot(input: SceneInput, quality = 75): Buffer {
  return encodeJpeg(renderScene(input), quality);
}

/** A JPEG cut off half-way (no EOI marker): what a camera with a failing encoder sends. */
export function truncateJpeg(jpeg: Buffer): Buffer {
  return jpeg.subarray(0, Math.floor(jpeg.length / 2));
}
