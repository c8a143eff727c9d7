// Line charts as PNG files with no native dependency (pure apart from zlib):
// an RGB raster, axes with tick marks, one coloured polyline per series. Axis
// values and the legend go in the report's caption, not in the picture.
import { deflateSync } from 'node:zlib';

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export const PALETTE: Array<[number, number, number]> = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [255, 127, 14], [148, 103, 189]];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** Encodes an RGB raster (width*height*3 bytes) as PNG. */
export function encodePng(width: number, height: number, rgb: Buffer): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface ChartBounds {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export function bounds(series: Series[]): ChartBounds {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const yMax = Math.max(...ys, 0);
  return { xMin: Math.min(...xs), xMax: Math.max(...xs), yMin: 0, yMax: yMax > 0 ? yMax * 1.05 : 1 };
}

export function lineChart(series: Series[], width = 640, height = 320): { png: Buffer; bounds: ChartBounds } {
  const b = bounds(series);
  const rgb = Buffer.alloc(width * height * 3, 255);
  const m = { l: 40, r: 10, t: 10, b: 30 };
  const set = (x: number, y: number, c: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.round(y) * width + Math.round(x)) * 3;
    rgb[i] = c[0];
    rgb[i + 1] = c[1];
    rgb[i + 2] = c[2];
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: [number, number, number]) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= steps; i++) set(x0 + ((x1 - x0) * i) / steps, y0 + ((y1 - y0) * i) / steps, c);
  };
  const px = (x: number) => m.l + ((x - b.xMin) / (b.xMax - b.xMin || 1)) * (width - m.l - m.r);
  const py = (y: number) => height - m.b - ((y - b.yMin) / (b.yMax - b.yMin || 1)) * (height - m.t - m.b);
  const grey: [number, number, number] = [120, 120, 120];
  line(m.l, height - m.b, width - m.r, height - m.b, grey);
  line(m.l, m.t, m.l, height - m.b, grey);
  for (let i = 0; i <= 10; i++) {
    const x = m.l + (i / 10) * (width - m.l - m.r);
    const y = height - m.b - (i / 10) * (height - m.t - m.b);
    line(x, height - m.b, x, height - m.b + 5, grey);
    line(m.l - 5, y, m.l, y, grey);
  }
  series.forEach((s, k) => {
    const c = PALETTE[k % PALETTE.length]!;
    const pts = [...s.points].sort((a, b2) => a[0] - b2[0]);
    for (let i = 1; i < pts.length; i++) {
      for (const d of [0, 1]) line(px(pts[i - 1]![0]), py(pts[i - 1]![1]) + d, px(pts[i]![0]), py(pts[i]![1]) + d, c);
    }
    if (pts.length === 1) for (let dx = -2; dx <= 2; dx++) for (let dy = -2; dy <= 2; dy++) set(px(pts[0]![0]) + dx, py(pts[0]![1]) + dy, c);
  });
  return { png: encodePng(width, height, rgb), bounds: b };
}
