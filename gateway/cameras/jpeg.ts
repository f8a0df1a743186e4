// Checking a camera's image before it is queued: complete JPEG (SOI … EOI), within the size cap,
// and its width and height read from the frame header (SOF marker) for the snapshot envelope.
// Pure: no decoding of pixels, only a walk over the marker segments.
import { looksLikeJpeg } from '../../protocol/index.js';

export interface JpegSize { width: number; height: number }

/** SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Markers without a length field: TEM, RST0–7 (and SOI/EOI, handled by the caller). */
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

/**
 * Width and height from the first SOF segment, or undefined if the data is not a JPEG or the
 * frame header is missing or says 0 (a DNL-defined height, which no camera snapshot uses).
 */
export function jpegSize(image: Buffer): JpegSize | undefined {
  if (image.length < 4 || image[0] !== 0xff || image[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 4 <= image.length) {
    if (image[offset] !== 0xff) return undefined; // lost sync: not a marker where one must be
    const marker = image[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte before a marker
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI, or SOS (entropy data) before any SOF
    if (isStandalone(marker)) {
      offset += 2;
      continue;
    }
    const length = image.readUInt16BE(offset + 2);
    if (length < 2) return undefined;
    if (isStartOfFrame(marker)) {
      // SOF: length(2) precision(1) height(2) width(2) …
      if (offset + 9 > image.length) return undefined;
      const height = image.readUInt16BE(offset + 5);
      const width = image.readUInt16BE(offset + 7);
      return width > 0 && height > 0 ? { width, height } : undefined;
    }
    offset += 2 + length;
  }
  return undefined;
}

export type ImageCheck = { ok: true; size: JpegSize | undefined } | { ok: false; reason: string };

/** What the gateway accepts as a snapshot: a complete JPEG of 1…maxBytes bytes. */
export function checkSnapshotImage(image: Buffer, maxBytes: number): ImageCheck {
  if (image.length === 0) return { ok: false, reason: 'the camera sent an empty image' };
  if (image.length > maxBytes) return { ok: false, reason: `image of ${image.length} bytes exceeds maxSnapshotBytes (${maxBytes})` };
  if (!looksLikeJpeg(image)) return { ok: false, reason: `not a complete JPEG (${image.length} bytes without the FF D8 … FF D9 markers)` };
  return { ok: true, size: jpegSize(image) };
}
