// The rigid-body source: matter-js with the bob on a distance constraint to a fixed pivot. Gravity is
// scaled so small oscillations have the ODE's frequency (w0^2 = g_eff / L). matter-js's position-based
// constraint solver and Verlet step lose energy even with frictionAir 0, so this source is
// NON-CONSERVATIVE: simulateMatter measures the loss, and datasets built from it are never "ideal".
import Matter from 'matter-js';

/** Energy per unit moment of inertia: E = omega^2 / 2 + w0^2 (1 - cos phi). */
function pendulumEnergy(phi: number, omega: number, w2: number): number {
  return 0.5 * omega * omega + w2 * (1 - Math.cos(phi));
}

/** Simulation units: pixels and milliseconds; one time unit of the ODE is 1000 ms. */
const MS_PER_TIME_UNIT = 1000;
const ROD_PX = 100;
/** Engine step: 1 ms (50 steps per frame). matter-js's usual 1/60 s step loses ~73% of the energy in one trial, 1 ms about 5%. */
const DEFAULT_STEP_MS = 1;

interface VerletFields {
  deltaTime: number;
  positionPrev: { x: number; y: number };
}

export interface MatterOptions {
  /** Time between frames in ODE time units (0.05 = 3 engine steps of 1/60 s). */
  dt: number;
  /** g / l: small oscillations have angular frequency sqrt(w2). */
  w2: number;
  /** Engine step in ms (default 1); rounded so a frame is a whole number of steps. */
  stepMs?: number;
}

export interface MatterRun {
  /** [phi_0, omega_0, phi_1, omega_1, ...] read back from the engine at each frame. */
  states: Float64Array;
  /** (E_0 - E_last) / E_0 with E = omega^2/2 + w0^2 (1 - cos phi). */
  relativeEnergyLoss: number;
}

export const MATTER_DESCRIPTION = {
  engine: 'matter-js',
  conservative: false,
  units: `1 time unit = ${MS_PER_TIME_UNIT} ms, rod ${ROD_PX} px, default engine step ${DEFAULT_STEP_MS} ms`,
  model:
    'circle body (inertia Infinity, frictionAir 0, friction 0) on a Constraint (stiffness 1, damping 0) to a fixed point; gravity.y * gravity.scale = w0^2 * rod / 1000^2 px/ms^2',
};

/** The fixed pivot, in engine pixels. */
const PIVOT_X = 0;
const PIVOT_Y = 0;

/**
 * Runs the pendulum from (phi0, omega0) for `frames` frames of dt time units, each a whole number of
 * engine steps, and reads back the angle and angular velocity at each frame.
 */
export function simulateMatter(phi0: number, omega0: number, frames: number, opts: MatterOptions): MatterRun {
  const { dt, w2 } = opts;
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`frames must be a positive integer, got ${frames}`);
  const frameMs = dt * MS_PER_TIME_UNIT;
  const steps = Math.max(1, Math.round(frameMs / (opts.stepMs ?? DEFAULT_STEP_MS)));
  const stepMs = frameMs / steps;
  const { engine, bob } = pendulumWorld(phi0, omega0, w2, stepMs);
  if (stepMs > 1000 / 60) throw new Error(`matter-js step ${stepMs} ms is longer than its 16.7 ms limit; use more steps per frame`);
  const states = new Float64Array(2 * frames);
  states[0] = phi0;
  states[1] = omega0;
  recordFrames(engine, bob, states, frames, steps, stepMs);
  const e0 = pendulumEnergy(phi0, omega0, w2);
  const e1 = pendulumEnergy(states[2 * frames - 2], states[2 * frames - 1], w2);
  return { states, relativeEnergyLoss: e0 > 0 ? (e0 - e1) / e0 : 0 };
}

/**
 * An engine with gravity scaled to w2 and the bob at angle phi0 on a rigid rod to the pivot, moving
 * tangentially at omega0; the bob's own step is set to stepMs so its velocity converts correctly.
 */
function pendulumWorld(phi0: number, omega0: number, w2: number, stepMs: number): { engine: Matter.Engine; bob: Matter.Body } {
  const { Engine, Bodies, Body, Constraint, Composite } = Matter;
  // Acceleration (px/ms^2) = gravity.y * gravity.scale; w0^2 per ms^2 = w2 / 1000^2.
  const gScale = 0.001;
  const engine = Engine.create({
    gravity: { x: 0, y: ((w2 / MS_PER_TIME_UNIT ** 2) * ROD_PX) / gScale, scale: gScale },
    enableSleeping: false,
  });
  const bob = Bodies.circle(PIVOT_X + ROD_PX * Math.sin(phi0), PIVOT_Y + ROD_PX * Math.cos(phi0), 10, {
    frictionAir: 0,
    friction: 0,
    frictionStatic: 0,
    restitution: 0,
    inertia: Infinity,
  });
  const raw = bob as unknown as VerletFields; // fields matter-js has but its typings omit
  raw.deltaTime = stepMs; // setVelocity converts from px per base delta using the body's step
  // Tangential velocity in px per matter base delta (1000/60 ms).
  const v = ((omega0 * ROD_PX) / MS_PER_TIME_UNIT) * (1000 / 60);
  Body.setVelocity(bob, { x: v * Math.cos(phi0), y: -v * Math.sin(phi0) });
  const rod = Constraint.create({
    pointA: { x: PIVOT_X, y: PIVOT_Y },
    bodyB: bob,
    pointB: { x: 0, y: 0 },
    length: ROD_PX,
    stiffness: 1,
    damping: 0,
  });
  Composite.add(engine.world, [bob, rod]);
  return { engine, bob };
}

/**
 * Steps the engine through frames 1..frames-1 and writes each frame's (phi, omega) into states.
 * Verlet keeps positions only: a frame's velocity is the central difference (x_{+1} - x_{-1}) / 2h,
 * second-order accurate, so it is finished after the first engine step past the frame (one extra
 * step after the last frame). phi is unwrapped to stay continuous.
 */
function recordFrames(engine: Matter.Engine, bob: Matter.Body, states: Float64Array, frames: number, steps: number, stepMs: number): void {
  const raw = bob as unknown as VerletFields;
  let prevPhi = states[0];
  let pending: { f: number; x: number; y: number; xPrev: number; yPrev: number } | null = null;
  const finish = () => {
    if (!pending) return;
    const { f, x, y, xPrev, yPrev } = pending;
    const rx = x - PIVOT_X,
      ry = y - PIVOT_Y;
    const vx = ((bob.position.x - xPrev) / (2 * stepMs)) * MS_PER_TIME_UNIT; // px per time unit
    const vy = ((bob.position.y - yPrev) / (2 * stepMs)) * MS_PER_TIME_UNIT;
    let phi = Math.atan2(rx, ry);
    phi += 2 * Math.PI * Math.round((prevPhi - phi) / (2 * Math.PI)); // unwrap: keep phi continuous
    prevPhi = phi;
    states[2 * f] = phi;
    states[2 * f + 1] = (ry * vx - rx * vy) / (rx * rx + ry * ry);
    pending = null;
  };
  for (let f = 1; f < frames; f++) {
    for (let s = 0; s < steps; s++) {
      Matter.Engine.update(engine, stepMs);
      if (s === 0) finish();
    }
    pending = { f, x: bob.position.x, y: bob.position.y, xPrev: raw.positionPrev.x, yPrev: raw.positionPrev.y };
  }
  if (pending) {
    Matter.Engine.update(engine, stepMs);
    finish();
  }
}
