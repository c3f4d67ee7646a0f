// p50 and p99 latency against offered load, as a PNG, with no dependencies: an RGB raster, lines,
// dots, a built-in 5x7 pixel font, and a PNG encoder on node:zlib.
//   node bench/plot.mjs [bench/results/latest.json] [bench/results/latency.png]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { median } from './lib/rounds.mjs';

// ---------------------------------------------------------------- PNG encoding

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buffer) {
  if (typeof zlib.crc32 === 'function') return zlib.crc32(buffer);
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** Encodes an 8-bit RGB raster (width * height * 3 bytes, rows top to bottom) as PNG. */
export function encodePng(width, height, rgb) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    rgb.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---------------------------------------------------------------- raster and font

// 5x7 glyphs, one string of 7 rows of 5 pixels each.
const FONT = {
  '0': '01110 10001 10011 10101 11001 10001 01110', '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111', '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010', '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110', '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110', '9': '01110 10001 10001 01111 00001 00010 01100',
  A: '01110 10001 10001 11111 10001 10001 10001', B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110', D: '11100 10010 10001 10001 10001 10010 11100',
  E: '11111 10000 10000 11110 10000 10000 11111', F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111', H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110', J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001', L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001', N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110', P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101', R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110', T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110', V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010', X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 10001 01010 00100 00100 00100', Z: '11111 00001 00010 00100 01000 10000 11111',
  ' ': '00000 00000 00000 00000 00000 00000 00000', '.': '00000 00000 00000 00000 00000 01100 01100',
  ',': '00000 00000 00000 00000 01100 00100 01000', '/': '00000 00001 00010 00100 01000 10000 00000',
  '-': '00000 00000 00000 11111 00000 00000 00000', '(': '00010 00100 01000 01000 01000 00100 00010',
  ')': '01000 00100 00010 00010 00010 00100 01000', ':': '00000 01100 01100 00000 01100 01100 00000',
  '=': '00000 00000 11111 00000 11111 00000 00000', '<': '00010 00100 01000 10000 01000 00100 00010',
  '>': '01000 00100 00010 00001 00010 00100 01000', '%': '11000 11001 00010 00100 01000 10011 00011',
  '_': '00000 00000 00000 00000 00000 00000 11111', '+': '00000 00100 00100 11111 00100 00100 00000',
};

class Canvas {
  constructor(width, height, background = [255, 255, 255]) {
    this.width = width;
    this.height = height;
    this.rgb = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) this.rgb.set(background, i * 3);
  }

  set(x, y, color) {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    this.rgb.set(color, (y * this.width + x) * 3);
  }

  rect(x, y, w, h, color) {
    for (let dy = 0; dy < h; dy++) for (let dx = 0; dx < w; dx++) this.set(x + dx, y + dy, color);
  }

  /** A line `width` px thick; `dash` = [on, off] in px for a dashed one. */
  line(x0, y0, x1, y1, color, { width = 1, dash } = {}) {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    const half = Math.floor(width / 2);
    for (let s = 0; s <= steps; s++) {
      if (dash && s % (dash[0] + dash[1]) >= dash[0]) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      this.rect(Math.round(x) - half, Math.round(y) - half, width, width, color);
    }
  }

  disc(cx, cy, r, color) {
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r + r) this.set(cx + dx, cy + dy, color);
  }

  square(cx, cy, r, color) {
    for (let d = -r; d <= r; d++) {
      for (const w of [0, 1]) {
        this.set(cx + d, cy - r + w, color);
        this.set(cx + d, cy + r - w, color);
        this.set(cx - r + w, cy + d, color);
        this.set(cx + r - w, cy + d, color);
      }
    }
  }

  /** Text in the 5x7 font (upper case), `scale` px per font pixel; align 'left' | 'right' | 'center'. */
  text(x, y, string, color, { scale = 2, align = 'left' } = {}) {
    const chars = [...String(string).toUpperCase()];
    const advance = 6 * scale;
    const width = chars.length * advance - scale;
    let left = align === 'right' ? x - width : align === 'center' ? x - width / 2 : x;
    left = Math.round(left);
    for (const ch of chars) {
      const rows = (FONT[ch] ?? FONT[' ']).split(' ');
      rows.forEach((row, ry) => {
        [...row].forEach((bit, rx) => {
          if (bit === '1') this.rect(left + rx * scale, y + ry * scale, scale, scale, color);
        });
      });
      left += advance;
    }
  }

  /** Text rotated 90 degrees counter-clockwise (reads bottom to top), centred on (x, y). */
  textUp(x, y, string, color, { scale = 2 } = {}) {
    const chars = [...String(string).toUpperCase()];
    const advance = 6 * scale;
    let bottom = Math.round(y + (chars.length * advance) / 2);
    for (const ch of chars) {
      const rows = (FONT[ch] ?? FONT[' ']).split(' ');
      rows.forEach((row, ry) => {
        [...row].forEach((bit, rx) => {
          if (bit === '1') this.rect(x + ry * scale, bottom - (rx + 1) * scale, scale, scale, color);
        });
      });
      bottom -= advance;
    }
  }
}

// ---------------------------------------------------------------- the chart

const COLORS = [[31, 119, 180], [230, 110, 0], [44, 160, 44], [148, 103, 189], [214, 39, 40], [120, 120, 120]];
const GRID = [225, 225, 225];
const AXIS = [60, 60, 60];

function niceStep(range, targetTicks) {
  const raw = range / targetTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((step) => step >= raw) ?? 10 * power;
}

const fmt = (v) => (v >= 1000 ? `${+(v / 1000).toFixed(1)}K` : v >= 1 ? String(+v.toFixed(1)) : String(+v.toFixed(2)));

/**
 * Draws latency (log scale) against offered load. `series`: [{ name, points: [{ rate, p50, p99 }] }].
 * Returns PNG bytes.
 */
export function latencyChart({ series, title, budgetMs = 50, width = 1100, height = 680 }) {
  const longest = Math.max(...series.map((s) => s.name.length), 20);
  width += Math.max(0, longest * 12 + 90 - 300);
  const c = new Canvas(width, height);
  const m = { left: 90, right: Math.max(300, longest * 12 + 90), top: 60, bottom: 70 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;

  const all = series.flatMap((s) => s.points);
  const values = all.flatMap((p) => [p.p50, p.p99]).filter((v) => v > 0 && Number.isFinite(v));
  const maxRate = Math.max(1, ...all.map((p) => p.rate));
  const xStep = niceStep(maxRate, 8);
  const xMax = Math.ceil(maxRate / xStep) * xStep;
  const lowest = Math.max(0.1, Math.min(budgetMs, ...values));
  const yHi = Math.log10(Math.max(budgetMs, ...values));
  // A decade below the lowest point, or one more when that point would sit on the axis.
  let yMin = 10 ** Math.floor(Math.log10(lowest));
  if (lowest / yMin < 1.05 && yMin > 0.1) yMin /= 10;
  const yMax = 10 ** Math.ceil(yHi + 1e-9);
  const X = (rate) => m.left + (rate / xMax) * plotW;
  const Y = (ms) => m.top + plotH - ((Math.log10(Math.min(Math.max(ms, yMin), yMax)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;

  // Grid and ticks.
  for (let decade = yMin; decade <= yMax * 1.0001; decade *= 10) {
    for (const mult of [1, 2, 5]) {
      const v = decade * mult;
      if (v > yMax * 1.0001) break;
      const y = Math.round(Y(v));
      c.line(m.left, y, m.left + plotW, y, mult === 1 ? [200, 200, 200] : GRID);
      c.line(m.left - 6, y, m.left, y, AXIS);
      c.text(m.left - 10, y - 7, fmt(v), AXIS, { align: 'right' });
    }
  }
  for (let v = 0; v <= xMax + 1e-9; v += xStep) {
    const x = Math.round(X(v));
    c.line(x, m.top, x, m.top + plotH, GRID);
    c.line(x, m.top + plotH, x, m.top + plotH + 6, AXIS);
    c.text(x, m.top + plotH + 12, fmt(v), AXIS, { align: 'center' });
  }
  c.line(m.left, m.top, m.left, m.top + plotH, AXIS, { width: 2 });
  c.line(m.left, m.top + plotH, m.left + plotW, m.top + plotH, AXIS, { width: 2 });
  c.text(m.left + plotW / 2, height - 30, 'offered load (requests/s)', AXIS, { align: 'center' });
  c.textUp(18, m.top + plotH / 2, 'latency (ms, log scale)', AXIS);
  c.text(m.left + plotW / 2, 20, title, [20, 20, 20], { align: 'center' });

  // The p99 budget.
  const by = Math.round(Y(budgetMs));
  c.line(m.left, by, m.left + plotW, by, [214, 39, 40], { dash: [3, 4] });
  c.text(m.left + plotW - 4, by - 18, `p99 budget ${budgetMs} ms`, [214, 39, 40], { align: 'right' });

  // Series: p50 solid with discs, p99 dashed with squares.
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = [...s.points].sort((a, b) => a.rate - b.rate);
    for (const key of ['p99', 'p50']) {
      const dashed = key === 'p99';
      for (let j = 1; j < points.length; j++) {
        c.line(X(points[j - 1].rate), Y(points[j - 1][key]), X(points[j].rate), Y(points[j][key]), color, { width: 2, ...(dashed ? { dash: [7, 5] } : {}) });
      }
      for (const p of points) {
        if (dashed) c.square(X(p.rate), Y(p[key]), 4, color);
        else c.disc(X(p.rate), Y(p[key]), 4, color);
      }
    }
  });

  // Legend.
  const lx = m.left + plotW + 24;
  let ly = m.top + 10;
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    c.line(lx, ly + 7, lx + 30, ly + 7, color, { width: 3 });
    c.disc(lx + 15, ly + 7, 4, color);
    c.text(lx + 40, ly, s.name, [20, 20, 20]);
    ly += 28;
  });
  ly += 10;
  c.line(lx, ly + 7, lx + 30, ly + 7, AXIS, { width: 2 });
  c.disc(lx + 15, ly + 7, 4, AXIS);
  c.text(lx + 40, ly, 'p50', AXIS);
  ly += 28;
  c.line(lx, ly + 7, lx + 30, ly + 7, AXIS, { width: 2, dash: [7, 5] });
  c.square(lx + 15, ly + 7, 4, AXIS);
  c.text(lx + 40, ly, 'p99', AXIS);

  return encodePng(width, height, c.rgb);
}

/** The chart of a results file written by tools/dev/bench.mjs. */
export function plotResults(results) {
  const names = results.systems.map((s) => s.name);
  const series = names.map((name) => ({
    name,
    // One point per rate: the median over the rounds.
    points: [...new Set(results.steps.filter((r) => r.system === name).map((r) => r.rate))].sort((a, b) => a - b).map((rate) => {
      const rows = results.steps.filter((r) => r.system === name && r.rate === rate);
      return { rate, p50: median(rows.map((r) => r.p50)), p99: median(rows.map((r) => r.p99)) };
    }),
  }));
  return latencyChart({ series, title: `echo latency vs offered load (${results.stepSeconds} s per step, loopback)` });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = resolve(import.meta.dirname, '..');
  const input = process.argv[2] ?? join(root, 'bench/results/latest.json');
  const output = process.argv[3] ?? join(root, 'bench/results/latency.png');
  writeFileSync(output, plotResults(JSON.parse(readFileSync(input, 'utf8'))));
  console.log(`wrote ${output}`);
}
