import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { contourPlot, linePlot, orbitPlot, vectorFieldPlot, type LineSeries } from '../src/media/plot.ts';
import { autoLevels, isoLines, sampleGrid } from '../src/media/contour.ts';
import { fmtTicks, linearTicks, logTicks, makeScale, polylinePath } from '../src/media/svg.ts';

const dir = mkdtempSync(join(tmpdir(), 'hnn-plot-'));

interface Decoded {
  width: number;
  height: number;
  data: Buffer;
}

async function decode(path: string): Promise<Decoded> {
  const bytes = readFileSync(path);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // PNG signature
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

function distinctColours(img: Decoded): number {
  const seen = new Set<number>();
  for (let i = 0; i < img.data.length; i += 3) seen.add((img.data[i] << 16) | (img.data[i + 1] << 8) | img.data[i + 2]);
  return seen.size;
}

/** Pixels within `tol` per channel of a #rrggbb colour (anti-aliasing blends the edges only). */
function countColour(img: Decoded, hex: string, tol = 6): number {
  const c = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  let n = 0;
  for (let i = 0; i < img.data.length; i += 3) {
    if (Math.abs(img.data[i] - c[0]) <= tol && Math.abs(img.data[i + 1] - c[1]) <= tol && Math.abs(img.data[i + 2] - c[2]) <= tol) n++;
  }
  return n;
}

const BLUE = '#1f77b4';
const ORANGE = '#ff7f0e';
const GREEN = '#2ca02c';
const RED = '#d62728';
const ARROW = '#4c6a92';

const steps = Array.from({ length: 500 }, (_, i) => i);

/** A log-y line plot of `series` at the default size, axes "x" and "y", written to `file` of the test folder and decoded. */
async function logYPlot(file: string, title: string, series: LineSeries[]): Promise<Decoded> {
  const path = join(dir, file);
  await linePlot(path, { title, xLabel: 'x', yLabel: 'y', logY: true, series });
  return decode(path);
}

describe('linePlot', () => {
  it('renders a log-y training curve at the requested size with both series visible', async () => {
    const path = join(dir, 'loss.png');
    await linePlot(path, {
      title: 'loss',
      xLabel: 'step',
      yLabel: 'MSE',
      logY: true,
      width: 640,
      height: 400,
      series: [
        { name: 'train', x: steps, y: steps.map((i) => 10 * Math.exp(-i / 50) + 1e-3) },
        { name: 'test', x: steps, y: steps.map((i) => 12 * Math.exp(-i / 60) + 2e-3), dashed: true },
      ],
    });
    const img = await decode(path);
    expect([img.width, img.height]).toEqual([640, 400]);
    expect(countColour(img, BLUE)).toBeGreaterThan(200);
    expect(countColour(img, ORANGE)).toBeGreaterThan(100);
    expect(distinctColours(img)).toBeGreaterThan(20);
  });

  it('uses 800 x 500 by default and draws truth / baseline / HNN energies', async () => {
    const path = join(dir, 'energy.png');
    const t = steps.map((i) => i * 0.04);
    await linePlot(path, {
      title: 'energy',
      xLabel: 't',
      yLabel: 'E',
      series: [
        { name: 'truth', x: t, y: t.map(() => 1) },
        { name: 'baseline', x: t, y: t.map((v) => 1 + 0.05 * v) },
        { name: 'HNN', x: t, y: t.map((v) => 1 + 0.01 * Math.sin(v)) },
      ],
    });
    const img = await decode(path);
    expect([img.width, img.height]).toEqual([800, 500]);
    for (const c of [BLUE, ORANGE, GREEN]) expect(countColour(img, c)).toBeGreaterThan(100);
  });

  it('skips NaN, infinite and (on a log axis) non-positive values instead of failing', async () => {
    const y = steps.map((i) => (i % 50 === 7 ? NaN : i % 70 === 3 ? Infinity : i % 90 === 5 ? -1 : i === 11 ? 0 : 1 / (1 + i)));
    const img = await logYPlot('nan.png', 'nan', [{ name: 'gappy', x: steps, y }]);
    expect([img.width, img.height]).toEqual([800, 500]);
    expect(countColour(img, BLUE)).toBeGreaterThan(200);
  });

  it('renders empty axes when no value can be drawn', async () => {
    const img = await logYPlot('allnan.png', 'nothing', [{ name: 's', x: [0, 1, 2], y: [NaN, -1, 0] }]);
    expect([img.width, img.height]).toEqual([800, 500]);
    expect(countColour(img, BLUE)).toBeLessThan(150); // only the legend swatch
    expect(distinctColours(img)).toBeGreaterThan(5); // frame, ticks, text
  });
});

describe('vectorFieldPlot', () => {
  const traj = Array.from({ length: 100 }, (_, i) => i * 0.07);
  const panel = (name: string) => ({
    name,
    field: (q: number, p: number): [number, number] => [2 * p, -2 * q],
    trajectories: [{ q: traj.map((a) => Math.cos(a)), p: traj.map((a) => -Math.sin(a)), name: 'orbit' }],
  });

  it('draws side-by-side panels of arrows with trajectories on top', async () => {
    const one = join(dir, 'field1.png');
    const two = join(dir, 'field2.png');
    const base = { title: 'field', qRange: [-2, 2] as [number, number], pRange: [-2, 2] as [number, number], panelSize: 300 };
    await vectorFieldPlot(one, { ...base, panels: [panel('true')] });
    await vectorFieldPlot(two, { ...base, panels: [panel('true'), panel('learned')], grid: 12 });
    const a = await decode(one);
    const b = await decode(two);
    expect(b.width).toBe(2 * a.width);
    expect(b.height).toBe(a.height);
    expect(a.height).toBeGreaterThan(300);
    expect(countColour(b, ARROW)).toBeGreaterThan(500);
    expect(countColour(b, ORANGE)).toBeGreaterThan(300); // first trajectory colour
  });

  it('survives a field that is NaN or throws in part of the plane', async () => {
    const path = join(dir, 'field-nan.png');
    await vectorFieldPlot(path, {
      title: 'partial',
      qRange: [-1, 1],
      pRange: [-1, 1],
      panels: [
        {
          name: 'learned',
          field: (q, p) => {
            if (q > 0.5) throw new Error('undefined here');
            return q < 0 ? [NaN, 1] : [p, -q];
          },
          trajectories: [{ q: [0, 0.1, NaN, 0.3], p: [0, 0.1, 0.2, Infinity] }],
        },
      ],
    });
    const img = await decode(path);
    expect(countColour(img, ARROW)).toBeGreaterThan(50);
  });
});

describe('contourPlot', () => {
  it('draws contours of a scalar with a trajectory overlaid', async () => {
    const path = join(dir, 'contour.png');
    const a = Array.from({ length: 200 }, (_, i) => i * 0.05);
    await contourPlot(path, {
      title: 'learned H',
      f: (x, y) => x * x + y * y,
      xRange: [-2, 2],
      yRange: [-2, 2],
      levels: 10,
      xLabel: 'z1',
      yLabel: 'z2',
      overlay: [{ x: a.map((t) => Math.cos(t)), y: a.map((t) => Math.sin(t)), name: 'rollout' }],
      width: 500,
      height: 450,
    });
    const img = await decode(path);
    expect([img.width, img.height]).toEqual([500, 450]);
    expect(countColour(img, RED)).toBeGreaterThan(200);
    expect(countColour(img, '#440154', 20)).toBeGreaterThan(20); // lowest viridis level
    expect(distinctColours(img)).toBeGreaterThan(50);
  });

  it('survives a scalar with a singularity and explicit levels', async () => {
    const path = join(dir, 'contour-sing.png');
    await contourPlot(path, {
      title: 'singular',
      f: (x, y) => (x === 0 ? Infinity : 1 / Math.hypot(x, y)),
      xRange: [-1, 1],
      yRange: [-1, 1],
      levels: [1, 2, 4, NaN],
      xLabel: 'x',
      yLabel: 'y',
      resolution: 41,
    });
    const img = await decode(path);
    expect([img.width, img.height]).toEqual([640, 560]);
    expect(distinctColours(img)).toBeGreaterThan(20);
  });
});

describe('orbitPlot', () => {
  it('draws two bodies per panel for truth | baseline | HNN', async () => {
    const one = join(dir, 'orbit1.png');
    const three = join(dir, 'orbit3.png');
    const a = Array.from({ length: 300 }, (_, i) => i * 0.03);
    const bodies = (r: number) => [
      { x: a.map((t) => r * Math.cos(t)), y: a.map((t) => r * Math.sin(t)) },
      { x: a.map((t) => -r * Math.cos(t)), y: a.map((t) => (t > 5 ? NaN : -r * Math.sin(t))) },
    ];
    await orbitPlot(one, { title: 'two-body', panels: [{ name: 'truth', bodies: bodies(1) }] });
    await orbitPlot(three, {
      title: 'two-body',
      panels: [
        { name: 'truth', bodies: bodies(1) },
        { name: 'baseline', bodies: bodies(1.2) },
        { name: 'HNN', bodies: bodies(1) },
      ],
    });
    const i1 = await decode(one);
    const i3 = await decode(three);
    expect(i3.width).toBe(3 * i1.width);
    expect(i3.height).toBe(i1.height);
    expect(countColour(i3, BLUE)).toBeGreaterThan(500);
    expect(countColour(i3, ORANGE)).toBeGreaterThan(300);
  });
});

describe('orbitPlot ranges', () => {
  it('fits each panel separately when one rollout diverged, unless a shared range is asked for', async () => {
    const a = Array.from({ length: 300 }, (_, i) => i * 0.03);
    const circle = (r: number) => [{ x: a.map((t) => r * Math.cos(t)), y: a.map((t) => r * Math.sin(t)) }];
    const panels = [
      { name: 'truth', bodies: circle(1) },
      { name: 'baseline', bodies: circle(20) },
    ];
    const auto = join(dir, 'orbit-auto.png');
    const shared = join(dir, 'orbit-shared.png');
    await orbitPlot(auto, { title: 'auto', panels });
    await orbitPlot(shared, { title: 'shared', panels, sharedRange: true });
    // the truth circle (left half) is drawn large when fitted, tiny on the diverged panel's scale
    const leftBlue = async (path: string) => {
      const img = await decode(path);
      const half = { ...img, data: Buffer.alloc(0) };
      const rows: Buffer[] = [];
      for (let y = 0; y < img.height; y++) rows.push(img.data.subarray(y * img.width * 3, (y * img.width + img.width / 2) * 3));
      half.data = Buffer.concat(rows);
      return countColour(half, BLUE);
    };
    expect(await leftBlue(auto)).toBeGreaterThan(5 * (await leftBlue(shared)));
  });
});

describe('plot helpers', () => {
  it('picks round linear ticks and decade log ticks', () => {
    expect(linearTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(linearTicks(-0.3, 0.3, 6)).toEqual([-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3].map((v) => expect.closeTo(v, 12)));
    expect(logTicks(1e-5, 1e2).major).toEqual([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100]);
    const narrow = logTicks(0.02, 0.6).major; // within about a decade: 1-2-5 steps are labelled
    expect(narrow).toEqual([0.02, 0.05, 0.1, 0.2, 0.5]);
    // one label style per axis
    expect(fmtTicks([0, 50000, 100000, 150000])).toEqual(['0', '5e4', '1e5', '1.5e5']);
    expect(fmtTicks([0, 0.25, 0.5])).toEqual(['0', '0.25', '0.5']);
  });

  it('breaks a polyline at points that cannot be drawn', () => {
    const sx = makeScale([0, 4], [0, 100]);
    const sy = makeScale([1e-3, 1], [100, 0], true);
    const d = polylinePath([0, 1, 2, 3, 4], [0.5, NaN, 0.1, -1, 0.01], sx, sy);
    expect(d.match(/M/g)?.length).toBe(3);
    expect(d).not.toMatch(/NaN|Infinity/);
  });

  it('marching squares puts the level set of x^2 + y^2 on the circle', () => {
    const g = sampleGrid((x, y) => x * x + y * y, [-2, 2], [-2, 2], 60, 60);
    const segs = isoLines(g, 1);
    expect(segs.length).toBeGreaterThan(50);
    for (const [x1, y1, x2, y2] of segs) {
      expect(Math.hypot(x1, y1)).toBeCloseTo(1, 1);
      expect(Math.hypot(x2, y2)).toBeCloseTo(1, 1);
    }
    const levels = autoLevels(g.z, 3);
    expect(levels).toHaveLength(3);
    expect(levels[0]).toBeGreaterThan(0);
    expect(levels[2]).toBeLessThan(8);
  });
});

describe('plot argument checks', () => {
  it('rejects empty or reversed ranges', async () => {
    await expect(vectorFieldPlot(join(dir, 'bad.png'), { title: 't', qRange: [1, 1], pRange: [0, 1], panels: [] })).rejects.toThrow(
      /qRange/,
    );
    await expect(
      contourPlot(join(dir, 'bad.png'), { title: 't', f: () => 0, xRange: [0, 1], yRange: [2, 1], xLabel: 'x', yLabel: 'y' }),
    ).rejects.toThrow(/yRange/);
  });
});
